package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestCreateOnceLetsExactlyOneRacerWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "master.key")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- createOnce(path, []byte(fmt.Sprintf("writer %02d\n", i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var who int
	if _, err := fmt.Sscanf(string(b), "writer %02d\n", &who); err != nil || len(b) != len("writer 00\n") {
		t.Fatalf("the file holds %q, not one writer's whole content", b)
	}
	// Later calls keep it.
	if err := createOnce(path, []byte("late\n")); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(b) {
		t.Fatalf("createOnce replaced %q with %q", b, again)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	left, _ := os.ReadDir(filepath.Dir(path))
	if len(left) != 1 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestSaveProfileIsPrivateEvenOverALooserFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iamd", "profile.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := saveProfile(path, profile{Server: "http://x", ClientID: "a@b.iam", ClientSecret: "iamd_s"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile mode %v, want 0600", fi.Mode().Perm())
	}
	if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 1 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
