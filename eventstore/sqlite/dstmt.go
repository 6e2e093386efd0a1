package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// dstmt is a statement prepared on one connection and run through the
// driver itself, skipping database/sql's per-call argument conversion,
// retries and result wrapping: for the writer's statements that run once
// or more per event. Its arguments must already be driver values (int64,
// string, []byte). Use it from one goroutine at a time.
type dstmt struct {
	conn *sql.Conn
	ds   driver.Stmt
	args []driver.NamedValue
	res  driver.Result
	err  error
	run  func(any) error // the Raw callback, made once
}

var errNoDriverExec = errors.New("sqlite: the driver cannot prepare or execute with a context")

func prepareDriver(ctx context.Context, conn *sql.Conn, query string) (*dstmt, error) {
	s := &dstmt{conn: conn}
	err := conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errNoDriverExec
		}
		ds, err := p.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		if _, ok := ds.(driver.StmtExecContext); !ok {
			_ = ds.Close()
			return errNoDriverExec
		}
		s.ds = ds
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.run = func(any) error {
		s.res, s.err = s.ds.(driver.StmtExecContext).ExecContext(context.Background(), s.args)
		return nil
	}
	return s, nil
}

// exec runs the statement with the arguments set by arg since the last
// exec.
func (s *dstmt) exec() (driver.Result, error) {
	if err := s.conn.Raw(s.run); err != nil {
		s.args = s.args[:0]
		return nil, err
	}
	s.args = s.args[:0]
	res, err := s.res, s.err
	s.res, s.err = nil, nil
	return res, err
}

// arg appends the next argument, a driver value.
func (s *dstmt) arg(v driver.Value) {
	s.args = append(s.args, driver.NamedValue{Ordinal: len(s.args) + 1, Value: v})
}

func (s *dstmt) close() {
	if s == nil || s.ds == nil {
		return
	}
	_ = s.conn.Raw(func(any) error { return s.ds.Close() })
	s.ds = nil
}
