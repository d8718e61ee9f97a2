package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// CannedResponse is a saved reply. Its body may hold variables such as
// {{contact.name}}, filled in when an agent inserts it.
type CannedResponse struct {
	ID       int64  `json:"id"`
	Shortcut string `json:"shortcut"` // typed as "/shortcut" in the composer
	Title    string `json:"title"`
	Body     string `json:"body"`
	// Clip is a recording or screenshot offered as an attachment when
	// the response is used; nil for none.
	Clip      *parley.Clip `json:"clip,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// Validate normalises and checks a canned response.
func (c *CannedResponse) Validate() error {
	c.Shortcut = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c.Shortcut), "/"))
	c.Title = strings.TrimSpace(c.Title)
	if c.Shortcut == "" || len(c.Shortcut) > 40 {
		return parley.Errorf(parley.EINVALID, "shortcut is required (at most 40 characters)")
	}
	for _, r := range c.Shortcut {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return parley.Errorf(parley.EINVALID, "shortcut %q may hold only letters, digits, - and _", c.Shortcut)
		}
	}
	if c.Title == "" || len(c.Title) > 200 {
		return parley.Errorf(parley.EINVALID, "title is required (at most 200 characters)")
	}
	if strings.TrimSpace(c.Body) == "" || len(c.Body) > parley.MaxTextLength {
		return parley.Errorf(parley.EINVALID, "body is required (at most %d bytes)", parley.MaxTextLength)
	}
	return parley.ValidClip(c.Clip)
}

const cannedColumns = "id, shortcut, title, body, clip_sha256, clip_name, created_at, updated_at"

func scanCanned(row interface{ Scan(...any) error }) (CannedResponse, error) {
	var c CannedResponse
	var created, updated int64
	var clip, clipName string
	err := row.Scan(&c.ID, &c.Shortcut, &c.Title, &c.Body, &clip, &clipName, &created, &updated)
	c.Clip = clipOf(clip, clipName)
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(updated)
	return c, err
}

// CreateCanned stores a new canned response. Returns ECONFLICT when the
// shortcut is taken.
func (tx *Tx) CreateCanned(c *CannedResponse) (err error) {
	defer wrap(&err, "store: CreateCanned")
	if err := c.Validate(); err != nil {
		return err
	}
	if err := tx.checkClip(c.Clip); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	sha, name := clipColumns(c.Clip)
	err = tx.queryRow(`INSERT INTO canned_responses (shortcut, title, body, clip_sha256, clip_name, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		c.Shortcut, c.Title, c.Body, sha, name, ts(tx.now)).Scan(&c.ID)
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "a canned response with shortcut /%s already exists", c.Shortcut)
	}
	return err
}

// UpdateCanned saves a canned response. Returns ENOTFOUND or ECONFLICT.
func (tx *Tx) UpdateCanned(c *CannedResponse) (err error) {
	defer wrap(&err, "store: UpdateCanned(%d)", c.ID)
	if err := c.Validate(); err != nil {
		return err
	}
	if err := tx.checkClip(c.Clip); err != nil {
		return err
	}
	c.UpdatedAt = tx.now
	sha, name := clipColumns(c.Clip)
	res, err := tx.exec(`UPDATE canned_responses SET shortcut = $2, title = $3, body = $4, clip_sha256 = $5, clip_name = $6, updated_at = $7
		WHERE id = $1`, c.ID, c.Shortcut, c.Title, c.Body, sha, name, ts(tx.now))
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "a canned response with shortcut /%s already exists", c.Shortcut)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "canned response %d not found", c.ID)
	}
	return nil
}

// DeleteCanned removes a canned response. Returns ENOTFOUND.
func (tx *Tx) DeleteCanned(id int64) error {
	res, err := tx.exec("DELETE FROM canned_responses WHERE id = $1", id)
	if err != nil {
		return wrapErr("store: DeleteCanned", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "canned response %d not found", id)
	}
	return nil
}

// Canned returns one canned response. Returns ENOTFOUND.
func (db *DB) Canned(ctx context.Context, id int64) (CannedResponse, error) {
	c, err := scanCanned(db.read.QueryRowContext(ctx, "SELECT "+cannedColumns+" FROM canned_responses WHERE id = $1", id))
	return c, notFound(err, "canned response", id)
}

// CannedResponses returns every canned response, by shortcut.
func (db *DB) CannedResponses(ctx context.Context) (_ []CannedResponse, err error) {
	defer wrap(&err, "store: CannedResponses")
	rows, err := db.read.QueryContext(ctx, "SELECT "+cannedColumns+" FROM canned_responses ORDER BY shortcut")
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (CannedResponse, error) { return scanCanned(r) })
}
