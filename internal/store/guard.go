package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/parleyhq/parley/internal/parley"
)

// The text guard: the one place every argument of every query passes on
// its way to either database, reads and writes alike.
//
// PostgreSQL refuses text with a NUL character or invalid UTF-8 (SQLSTATE
// 22021), which surfaced as a 500, while SQLite stored it. The domain
// cleans free text and refuses bad ids before they get here (parley.CleanText,
// parley.CheckID); this is the last line of defence for any path that
// forgot: such a string is refused with EINVALID before it is sent, on
// both databases alike. Every column Parley stores is TEXT or a number
// (no BYTEA or BLOB), so no legitimate argument is ever refused.
//
// It wraps the driver's connections rather than the store's helpers
// because reads go straight to the pool in dozens of places; a
// NamedValueChecker on the connection sees every argument of every
// statement, prepared or not (neither driver's statements check values
// themselves, so database/sql asks the connection). The cost is one byte
// scan per string argument: small beside the round trip.

// openGuarded opens a pool for driverName like sql.Open, with the guard.
func openGuarded(driverName, dsn string) (*sql.DB, error) {
	var c driver.Connector
	switch driverName {
	case "pgx":
		var err error
		if c, err = stdlib.GetDefaultDriver().(driver.DriverContext).OpenConnector(dsn); err != nil {
			return nil, err
		}
	default:
		// The registered driver itself: sql.Open connects to nothing, and
		// Driver() hands back the instance the package registered.
		probe, err := sql.Open(driverName, dsn)
		if err != nil {
			return nil, err
		}
		d := probe.Driver()
		probe.Close()
		if dc, ok := d.(driver.DriverContext); ok {
			if c, err = dc.OpenConnector(dsn); err != nil {
				return nil, err
			}
		} else {
			c = dsnConnector{d: d, dsn: dsn}
		}
	}
	return sql.OpenDB(guardConnector{c}), nil
}

type dsnConnector struct {
	d   driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

type guardConnector struct{ driver.Connector }

// innerConn is what Parley relies on from a driver's connection; both
// drivers provide all of it.
type innerConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
}

func (g guardConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := g.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ic, ok := c.(innerConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("store: driver connection %T lacks the context interfaces", c)
	}
	return &guardConn{innerConn: ic}, nil
}

// guardConn is a driver connection with the text guard. Methods it does
// not define are the driver's own.
type guardConn struct{ innerConn }

// IsValid forwards the driver's answer, so database/sql drops broken
// connections as it would without the guard.
func (c *guardConn) IsValid() bool {
	if v, ok := c.innerConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// CheckNamedValue converts an argument as the driver would, then refuses
// a string that the database would refuse (PostgreSQL) or store
// differently (SQLite).
func (c *guardConn) CheckNamedValue(nv *driver.NamedValue) error {
	if vc, ok := c.innerConn.(driver.NamedValueChecker); ok {
		if err := vc.CheckNamedValue(nv); err != nil {
			if !errors.Is(err, driver.ErrSkip) {
				return err
			}
			if nv.Value, err = driver.DefaultParameterConverter.ConvertValue(nv.Value); err != nil {
				return err
			}
		}
	} else {
		var err error
		if nv.Value, err = driver.DefaultParameterConverter.ConvertValue(nv.Value); err != nil {
			return err
		}
	}
	return checkArg(nv.Value)
}

// errBadText is what a refused argument returns; database/sql wraps it,
// and the chain keeps the code.
var errBadText = parley.Errorf(parley.EINVALID, "text must not contain NUL characters or invalid UTF-8")

func checkArg(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case *string: // pgx takes arguments as they are, pointers included
		if v == nil {
			return nil
		}
		s = *v
	case driver.Valuer: // sql.NullString and the like, also passed through by pgx
		x, err := v.Value()
		if err != nil {
			return nil // the driver reports it
		}
		if _, ok := x.(driver.Valuer); ok {
			return nil
		}
		return checkArg(x)
	default:
		return nil
	}
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return errBadText
	}
	return nil
}
