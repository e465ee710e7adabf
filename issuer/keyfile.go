package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ticketcrypto "github.com/admitone/admitone/crypto"
	"github.com/admitone/admitone/internal/fileutil"
)

// KeyFileFormat is the format field of a key file's plaintext.
const KeyFileFormat = "admitone-issuer-v1"

// MaxKeyFileSize bounds a sealed key file (thousands of events), so a wrong
// path given as --key is refused before it is read into memory.
const MaxKeyFileSize = 1 << 20

// MaxEventName bounds an event name, as bundle.GateProfile does.
const MaxEventName = 200

// keyFileMode is the permission of key files: the owner only.
const keyFileMode = 0o600

// Event is an event the issuer key has signed tickets for.
type Event struct {
	ID   ticketcrypto.EventID
	Name string
	// RotationKey is the event's secret for rotating codes. Gates receive
	// it in sealed bundles only.
	RotationKey ticketcrypto.RotationKey
	CreatedAt   time.Time
}

// KeyFile is the content of a sealed issuer key file: the issuer's private
// key and the events it issues for, with their rotation keys.
type KeyFile struct {
	Key    ticketcrypto.PrivateKey
	Events []Event
	// KDF are the argon2id parameters Seal, Save and Create use. Load sets
	// them to the file's own, so a rewrite keeps them; zero means
	// crypto.DefaultKDF.
	KDF ticketcrypto.KDFParams
}

// NewKeyFile makes a key file with a new random issuer key and no events.
func NewKeyFile() (*KeyFile, error) {
	k, err := ticketcrypto.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	return &KeyFile{Key: k}, nil
}

// Event returns the event with the given id, if the file has it.
func (f *KeyFile) Event(id ticketcrypto.EventID) (Event, bool) {
	for _, e := range f.Events {
		if e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}

// AddEvent records a new event with a fresh rotation key. It refuses an
// event the file already has and a name that a bundle would refuse.
func (f *KeyFile) AddEvent(id ticketcrypto.EventID, name string, now time.Time) (Event, error) {
	if id.IsZero() {
		return Event{}, errors.New("event id is missing")
	}
	if _, ok := f.Event(id); ok {
		return Event{}, fmt.Errorf("event %s is already in the key file", id)
	}
	if err := ValidateEventName(name); err != nil {
		return Event{}, err
	}
	rk, err := ticketcrypto.GenerateRotationKey()
	if err != nil {
		return Event{}, err
	}
	e := Event{ID: id, Name: name, RotationKey: rk, CreatedAt: now.UTC().Truncate(time.Second)}
	f.Events = append(f.Events, e)
	return e, nil
}

// SetEventName renames an event the file has.
func (f *KeyFile) SetEventName(id ticketcrypto.EventID, name string) error {
	if err := ValidateEventName(name); err != nil {
		return err
	}
	for i := range f.Events {
		if f.Events[i].ID == id {
			f.Events[i].Name = name
			return nil
		}
	}
	return fmt.Errorf("event %s is not in the key file", id)
}

// ValidateEventName checks that name fits a bundle: at most MaxEventName
// bytes of UTF-8 text without control characters.
func ValidateEventName(name string) error {
	switch {
	case len(name) > MaxEventName:
		return fmt.Errorf("event name is %d bytes, more than %d", len(name), MaxEventName)
	case !utf8.ValidString(name):
		return errors.New("event name is not valid UTF-8")
	case strings.ContainsFunc(name, unicode.IsControl):
		return errors.New("event name contains a control character")
	}
	return nil
}

// KeyringEntry returns the keyring entry that trusts the issuer key for an
// event, with no time bounds.
func (f *KeyFile) KeyringEntry(ev ticketcrypto.EventID) ticketcrypto.KeyringEntry {
	return ticketcrypto.KeyringEntry{Event: ev, KeyID: f.Key.ID(), PublicKey: f.Key.Public()}
}

// Keyring returns a keyring that trusts the issuer key for every event in
// the file and holds their rotation keys: what a gate of any of these
// events needs to verify the tickets.
func (f *KeyFile) Keyring() (*ticketcrypto.Keyring, error) {
	var kr ticketcrypto.Keyring
	for _, e := range f.Events {
		if err := kr.Add(f.KeyringEntry(e.ID)); err != nil {
			return nil, err
		}
		kr.SetRotationKey(e.ID, e.RotationKey)
	}
	return &kr, nil
}

// keyFileJSON is the plaintext of a sealed key file.
type keyFileJSON struct {
	Format    string      `json:"format"`
	IssuerKey string      `json:"issuer_key"`
	Events    []eventJSON `json:"events"`
}

type eventJSON struct {
	EventID     string    `json:"event_id"`
	Name        string    `json:"name"`
	RotationKey string    `json:"rotation_key"`
	CreatedAt   time.Time `json:"created_at"`
}

// MarshalPlaintext returns the JSON plaintext of the key file. It holds the
// secrets in clear: seal it, never store or print it.
func (f *KeyFile) MarshalPlaintext() ([]byte, error) {
	if f.Key.IsZero() {
		return nil, errors.New("key file: no issuer key")
	}
	kf := keyFileJSON{Format: KeyFileFormat, IssuerKey: f.Key.Secret(), Events: make([]eventJSON, len(f.Events))}
	for i, e := range f.Events {
		kf.Events[i] = eventJSON{EventID: e.ID.String(), Name: e.Name, RotationKey: e.RotationKey.Secret(), CreatedAt: e.CreatedAt.UTC()}
	}
	return json.Marshal(kf)
}

// ParsePlaintext parses the JSON plaintext of a key file. It refuses
// unknown fields, trailing data, a missing or malformed key, and events
// that are duplicated or incomplete. Errors never quote secret values.
func ParsePlaintext(b []byte) (*KeyFile, error) {
	if len(b) > MaxKeyFileSize {
		return nil, fmt.Errorf("key file: plaintext is %d bytes, more than %d", len(b), MaxKeyFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var kf keyFileJSON
	if err := dec.Decode(&kf); err != nil {
		return nil, fmt.Errorf("key file: %w", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("key file: trailing data after the JSON object")
	}
	if kf.Format != KeyFileFormat {
		return nil, fmt.Errorf("key file: format %q, want %q", truncate(kf.Format, 40), KeyFileFormat)
	}
	key, err := ticketcrypto.ParsePrivateKey(kf.IssuerKey)
	if err != nil {
		return nil, fmt.Errorf("key file: issuer_key: %w", err)
	}
	f := &KeyFile{Key: key, Events: make([]Event, 0, len(kf.Events))}
	for i, je := range kf.Events {
		id, err := ticketcrypto.ParseEventID(je.EventID)
		if err != nil {
			return nil, fmt.Errorf("key file: events[%d]: %w", i, err)
		}
		if id.IsZero() {
			return nil, fmt.Errorf("key file: events[%d]: event id is zero", i)
		}
		if _, dup := f.Event(id); dup {
			return nil, fmt.Errorf("key file: events[%d]: event %s appears twice", i, id)
		}
		if err := ValidateEventName(je.Name); err != nil {
			return nil, fmt.Errorf("key file: event %s: %w", id, err)
		}
		rk, err := ticketcrypto.ParseRotationKey(je.RotationKey)
		if err != nil {
			return nil, fmt.Errorf("key file: event %s: rotation_key: %w", id, err)
		}
		if je.CreatedAt.IsZero() {
			return nil, fmt.Errorf("key file: event %s: created_at is missing", id)
		}
		f.Events = append(f.Events, Event{ID: id, Name: je.Name, RotationKey: rk, CreatedAt: je.CreatedAt.UTC()})
	}
	return f, nil
}

// jsonError keeps the position of a syntax error but not the message,
// which may quote a character of a secret.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON at byte %d", se.Offset)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (f *KeyFile) kdf() ticketcrypto.KDFParams {
	if f.KDF == (ticketcrypto.KDFParams{}) {
		return ticketcrypto.DefaultKDF
	}
	return f.KDF
}

// Seal returns the sealed file content: the plaintext sealed under
// passphrase with crypto.SealPassphrase and f.KDF. It refuses to make
// content larger than MaxKeyFileSize, which Open would refuse.
func (f *KeyFile) Seal(passphrase []byte) ([]byte, error) {
	pt, err := f.MarshalPlaintext()
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	data, err := ticketcrypto.SealPassphrase(passphrase, pt, f.kdf())
	if err != nil {
		return nil, err
	}
	// Load refuses a larger file, so never write one.
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("key file would be %d bytes, more than the %d allowed: %d events are too many for one key file", len(data), MaxKeyFileSize, len(f.Events))
	}
	return data, nil
}

// Open opens sealed key file content. A wrong passphrase or altered data
// gives an error wrapping crypto.ErrOpen.
func Open(data, passphrase []byte) (*KeyFile, error) {
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("key file is %d bytes, more than the %d allowed", len(data), MaxKeyFileSize)
	}
	if !ticketcrypto.IsSealed(data) {
		return nil, errors.New("not a sealed key file (it should start with \"admitone-sealed-v1\")")
	}
	pt, err := ticketcrypto.OpenPassphrase(passphrase, data)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	f, err := ParsePlaintext(pt)
	if err != nil {
		return nil, err
	}
	f.KDF = sealedKDF(data)
	return f, nil
}

// sealedKDF reads the argon2id parameters from the second line of sealed
// data that OpenPassphrase has accepted, so a rewrite keeps them. It falls
// back to zero (DefaultKDF) if the line does not parse.
func sealedKDF(data []byte) ticketcrypto.KDFParams {
	lines := strings.SplitN(string(data), "\n", 3)
	if len(lines) < 3 {
		return ticketcrypto.KDFParams{}
	}
	var p ticketcrypto.KDFParams
	if _, err := fmt.Sscanf(lines[1], "argon2id t=%d m=%d p=%d", &p.Time, &p.MemoryKiB, &p.Threads); err != nil {
		return ticketcrypto.KDFParams{}
	}
	return p
}

// Load reads and opens a sealed key file. Errors name the file; a wrong
// passphrase or an altered file gives an error wrapping crypto.ErrOpen.
func Load(path string, passphrase []byte) (*KeyFile, error) {
	data, err := fileutil.ReadLimited(path, MaxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	f, err := Open(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return f, nil
}

// Save seals the key file and replaces path atomically: a temporary file
// in the same directory is written, synced and renamed over path, so a
// crash leaves either the old or the new file, never a mix.
func (f *KeyFile) Save(path string, passphrase []byte) error {
	data, err := f.Seal(passphrase)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := fileutil.WriteAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return nil
}

// Create is Save for a new file: it fails with an error wrapping
// fs.ErrExist if path exists, and leaves that file as it was.
func (f *KeyFile) Create(path string, passphrase []byte) error {
	data, err := f.Seal(passphrase)
	if err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	// Reserve the name first: O_EXCL is the portable way to refuse an
	// existing file, and the rename below then fills it atomically.
	r, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, keyFileMode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key file %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("key file: %w", err)
	}
	r.Close()
	if err := fileutil.WriteAtomic(path, data, 0o600); err != nil {
		os.Remove(path)
		return fmt.Errorf("key file %s: %w", path, err)
	}
	return nil
}
