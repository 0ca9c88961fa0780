package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"regexp"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

func TestServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	var dsn string
	for dsn == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile(`MYSQL_DSN='([^']+)'`).FindStringSubmatch(line); m != nil {
			dsn = m[1]
		}
	}
	go io.Copy(io.Discard, br)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %d, %v", one, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop after cancel")
	}
}
