package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowBodyAnsweredWithinRequestTimeout_OPS4: every request is
// answered within http.request_timeout (R-OPS-4), a request whose body a
// client sends slowly too. The server waited 30 s for a body whatever the
// setting; with request_timeout at 2 s, a request that sends its headers
// and one byte of its body is now answered (or its connection closed)
// well before the client gives up waiting, at 15 s.
func TestSlowBodyAnsweredWithinRequestTimeout_OPS4(t *testing.T) {
	t.Setenv("LEDGER_HTTP_REQUEST_TIMEOUT", "2s")
	t.Setenv("LEDGER_PROJECTIONS_READ_YOUR_WRITES_TIMEOUT", "1s")
	n := startNode(t, t.TempDir())
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /v1/sessions HTTP/1.1\r\nHost: ledger\r\nContent-Type: application/json\r\n" +
		"Content-Length: 1000\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a request whose body never arrived was still open after 15 s, with http.request_timeout at 2 s")
	}
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Errorf("a request whose body never arrived answered %d", res.StatusCode)
		}
	}
}
