package http

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// command reads what a handler needs before it calls the ledger: the path
// parameter idParam as a UUID (skipped when ""), the JSON body into body
// (skipped when nil; a body whose faults are only field errors is read
// for the rest and refused later, naming them with the handler's own:
// decodeBody), and the command context (request ids, If-Match, the
// route for the access log). On failure it writes the problem itself and
// returns false.
func (s *Server) command(c *gin.Context, idParam string, body any) (uuid.UUID, context.Context, bool) {
	var id uuid.UUID
	var err error
	if idParam != "" {
		id, err = parseUUIDParam(c, idParam)
	}
	if err == nil && body != nil {
		err = decodeBody(c, body)
	}
	var ctx context.Context
	if err == nil {
		ctx, err = s.request(c)
	}
	if err != nil {
		writeError(c, err)
		return uuid.Nil, nil, false
	}
	return id, ctx, true
}

// read is command for a request that reads the views: once its id, body
// and context are in order, it waits (bounded) until the views have
// applied every write acknowledged so far (settleHead), so the answer
// reflects them. On a failure it has answered, and ok is false.
func (s *Server) read(c *gin.Context, idParam string, body any) (uuid.UUID, context.Context, bool) {
	id, ctx, ok := s.command(c, idParam, body)
	if !ok {
		return uuid.Nil, nil, false
	}
	if err := s.settleHead(c); err != nil {
		writeError(c, err)
		return uuid.Nil, nil, false
	}
	return id, ctx, true
}

// respondAfter answers with body once the views show the write at pos, so
// the client's next read sees it.
func (s *Server) respondAfter(c *gin.Context, pos eventstore.Position, status int, body any) {
	if err := s.settle(c, pos); err != nil {
		writeError(c, err)
		return
	}
	if body == nil {
		c.Status(status)
		return
	}
	c.JSON(status, body)
}
