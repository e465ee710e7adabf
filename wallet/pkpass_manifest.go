package wallet

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// ErrManifestMismatch means a .pkpass file's contents do not match its
// manifest: a file was changed, added or removed after signing.
var ErrManifestMismatch = errors.New("pass manifest does not match its files")

// maxPassFileSize bounds each file read from a .pkpass archive, so a
// hostile archive cannot exhaust memory. Apple's own limit for a whole
// pass is about 10 MB.
const maxPassFileSize = 16 << 20

type passFile struct {
	name string
	data []byte
}

// buildManifest returns manifest.json: each file's name and the hex
// SHA-1 of its bytes, as Apple specifies (SHA-1 here is Apple's choice;
// the signature over the manifest uses SHA-256).
func buildManifest(files []passFile) ([]byte, error) {
	m := make(map[string]string, len(files))
	for _, f := range files {
		sum := sha1.Sum(f.data)
		m[f.name] = hex.EncodeToString(sum[:])
	}
	return json.MarshalIndent(m, "", "  ")
}

// VerifyManifest checks a .pkpass archive against its manifest.json:
// every file other than manifest.json and signature must be listed with
// its SHA-1, and every listed file must be present. It does not check the
// signature over the manifest (Apple Wallet and `openssl smime -verify`
// do). Errors wrap ErrManifestMismatch when the archive reads but does
// not match.
func VerifyManifest(zipBytes []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return fmt.Errorf("pkpass: not a zip archive: %w", err)
	}
	files := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory entry, e.g. "en.lproj/"
		}
		if _, dup := files[f.Name]; dup {
			// Readers disagree on which copy wins; refuse both.
			return fmt.Errorf("%w: %q appears twice in the archive", ErrManifestMismatch, f.Name)
		}
		data, err := readZipFile(f)
		if err != nil {
			return err
		}
		files[f.Name] = data
	}
	raw, ok := files[passManifestName]
	if !ok {
		return fmt.Errorf("%w: %s is missing", ErrManifestMismatch, passManifestName)
	}
	var manifest map[string]string
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return fmt.Errorf("%w: %s is not a JSON object of strings", ErrManifestMismatch, passManifestName)
	}
	if _, ok := manifest[passJSONName]; !ok {
		return fmt.Errorf("%w: %s is not listed", ErrManifestMismatch, passJSONName)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data := files[name]
		if name == passManifestName || name == passSignatureName {
			continue
		}
		want, ok := manifest[name]
		if !ok {
			return fmt.Errorf("%w: %s is not listed", ErrManifestMismatch, name)
		}
		sum := sha1.Sum(data)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
			return fmt.Errorf("%w: %s has SHA-1 %s, manifest lists %s", ErrManifestMismatch, name, got, want)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(manifest)) {
		if _, ok := files[name]; !ok {
			return fmt.Errorf("%w: %s is listed but missing", ErrManifestMismatch, name)
		}
	}
	return nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxPassFileSize {
		return nil, fmt.Errorf("pkpass: %s is %d bytes, more than %d", f.Name, f.UncompressedSize64, maxPassFileSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("pkpass: open %s: %w", f.Name, err)
	}
	defer rc.Close()
	// The header's size can lie; the limit holds regardless.
	data, err := io.ReadAll(io.LimitReader(rc, maxPassFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("pkpass: read %s: %w", f.Name, err)
	}
	if len(data) > maxPassFileSize {
		return nil, fmt.Errorf("pkpass: %s is more than %d bytes", f.Name, maxPassFileSize)
	}
	return data, nil
}
