package inbox

import (
	"context"
	"net/mail"
	"strings"

	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SMTPSettings is how Parley sends email notifications (the workspace's
// outgoing mail server). An empty Host means email is not configured, and
// notifications are recorded as not sent.
type SMTPSettings struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
	From     string `json:"from"` // "Support <help@example.com>"
	// Security is "starttls" (default, port 587), "tls" (implicit, port 465)
	// or "none" (only for a relay on this machine: localhost or loopback).
	Security string `json:"security"`
}

// smtpKey names the SMTP settings, stored sealed (they hold a password).
const smtpKey = "smtp"

// SealedSettings names the settings stored sealed, for start-up to seal
// any stored in clear by an older Parley (store.DB.CheckSecretKey).
var SealedSettings = []string{smtpKey}

// Validate normalises and checks SMTP settings.
func (c *SMTPSettings) Validate() error {
	c.Host = strings.TrimSpace(c.Host)
	if c.Host == "" {
		*c = SMTPSettings{} // cleared: email off
		return nil
	}
	if c.Port == 0 {
		c.Port = 587
	}
	if c.Port < 1 || c.Port > 65535 {
		return parley.Errorf(parley.EINVALID, "SMTP port %d is not a port number", c.Port)
	}
	if c.Security == "" {
		c.Security = "starttls"
	}
	if c.Security != "starttls" && c.Security != "tls" && c.Security != "none" {
		return parley.Errorf(parley.EINVALID, "SMTP security %q is not one of starttls, tls, none", c.Security)
	}
	// "none" sends the password and the mail in clear: only to this
	// machine. Checked again on the address reached when sending.
	if c.Security == "none" && !outbound.IsLoopbackHost(c.Host) {
		return parley.Errorf(parley.EINVALID, "SMTP security \"none\" is only for a mail server on this machine (localhost or 127.0.0.1); %s needs starttls or tls", c.Host)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return parley.Errorf(parley.EINVALID, "SMTP from address %q is not a valid address", c.From)
	}
	return nil
}

// SMTPSettings returns the workspace's SMTP settings (zero when unset).
func (s *Service) SMTPSettings(ctx context.Context) (SMTPSettings, error) {
	var c SMTPSettings
	_, err := s.DB.SealedSetting(ctx, smtpKey, &c)
	return c, err
}

// SetSMTPSettings saves the workspace's SMTP settings. An empty password
// keeps the one already stored, so forms need not show it.
func (s *Service) SetSMTPSettings(ctx context.Context, actor Actor, c SMTPSettings) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Host != "" && c.Password == "" {
		old, err := s.SMTPSettings(ctx)
		if err != nil {
			return err
		}
		if old.Host == c.Host && old.Username == c.Username {
			c.Password = old.Password
		}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSealedSetting(smtpKey, c) })
}
