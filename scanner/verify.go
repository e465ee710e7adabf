package scanner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
)

// Page-level check of a gate.db file, made before bbolt maps it.
//
// bbolt trusts what it reads: a flipped bit in a page id or an element's
// offset sends it outside its memory map (SIGSEGV, which no recover
// catches) or into an index panic. checkFile reads the file with ReadAt
// instead, following the same tree bbolt would from the newer valid meta
// page, and checks every bound bbolt assumes: page ids below the
// high-water mark and inside the file, no page reached twice, page types,
// element counts, key and value extents inside their page, keys in order
// within a page, inline buckets, and the freelist's ids. It finds no
// flipped bit inside a value or a key that keeps its order: bbolt keeps
// no data checksums. Store.verify decodes what the gate stored for that.

const (
	pageHeaderSize  = 16
	elementSize     = 16
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	metaPageFlag    = 0x04
	freelistFlag    = 0x10
	bucketLeafFlag  = 0x01
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	noFreelist      = ^uint64(0)
	maxWalkDepth    = 64
	maxFileProblems = 8
)

// boltFile is one walk over a bbolt file.
type boltFile struct {
	r        io.ReaderAt
	size     int64
	pageSize uint64
	hwm      uint64 // pages in use: ids below it
	seen     map[uint64]bool
	elements int64 // visited so far; a real file cannot hold more than size/16
	problems []string
	// visit, if set, gets every key/value pair of a bucket (not the
	// nested buckets themselves), path naming the bucket.
	visit func(path []string, k, v []byte)
}

func (f *boltFile) problem(format string, args ...any) {
	if len(f.problems) < maxFileProblems {
		f.problems = append(f.problems, fmt.Sprintf(format, args...))
	}
}

// checkFile walks a bbolt file of size bytes and returns an error listing
// the first problems found, or nil. visit may be nil.
func checkFile(r io.ReaderAt, size int64, visit func(path []string, k, v []byte)) error {
	f := &boltFile{r: r, size: size, seen: map[uint64]bool{}, visit: visit}
	f.walk()
	if len(f.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(f.problems, "; "))
}

type metaPage struct {
	pageSize, version, magic uint32
	root, freelist, pgid     uint64
	txid                     uint64
	ok                       bool
}

func (f *boltFile) readMeta(off int64) metaPage {
	var b [pageHeaderSize + 64]byte
	if _, err := f.r.ReadAt(b[:], off); err != nil {
		return metaPage{}
	}
	le := binary.LittleEndian
	m := b[pageHeaderSize:]
	mp := metaPage{magic: le.Uint32(m[0:]), version: le.Uint32(m[4:]), pageSize: le.Uint32(m[8:]),
		root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
	h := fnv.New64a()
	h.Write(m[:56])
	mp.ok = le.Uint16(b[8:]) == metaPageFlag && mp.magic == boltMagic && mp.version == boltVersion &&
		le.Uint64(m[56:]) == h.Sum64() && mp.pageSize >= 512 && mp.pageSize <= 1<<16 && mp.pageSize&(mp.pageSize-1) == 0
	return mp
}

func (f *boltFile) walk() {
	m0 := f.readMeta(0)
	var m1 metaPage
	if m0.ok {
		m1 = f.readMeta(int64(m0.pageSize))
	} else {
		for _, ps := range []int64{4096, 512, 1024, 2048, 8192, 16384, 32768, 65536} {
			if m1 = f.readMeta(ps); m1.ok && int64(m1.pageSize) == ps {
				break
			}
		}
	}
	m := m0
	if !m0.ok || (m1.ok && m1.txid > m0.txid) {
		m = m1
	}
	if !m.ok {
		f.problem("neither meta page is valid (bad magic, version or checksum)")
		return
	}
	f.pageSize, f.hwm = uint64(m.pageSize), m.pgid
	if f.hwm < 4 || f.hwm > uint64(f.size)/f.pageSize {
		f.problem("meta says %d pages of %d bytes; the file holds %d bytes", m.pgid, m.pageSize, f.size)
		return
	}
	f.seen[0], f.seen[1] = true, true
	f.walkPage(m.root, nil, 0)
	if m.freelist != noFreelist {
		f.checkFreelist(m.freelist)
	}
}

// readPage reads page id with its overflow pages, marking them seen.
func (f *boltFile) readPage(id uint64, what string) []byte {
	if id < 2 || id >= f.hwm {
		f.problem("%s: page %d is outside the file's pages 2..%d", what, id, f.hwm-1)
		return nil
	}
	var hdr [pageHeaderSize]byte
	if _, err := f.r.ReadAt(hdr[:], int64(id*f.pageSize)); err != nil {
		f.problem("%s: page %d: %v", what, id, err)
		return nil
	}
	le := binary.LittleEndian
	if got := le.Uint64(hdr[0:]); got != id {
		f.problem("%s: page %d says it is page %d", what, id, got)
		return nil
	}
	overflow := uint64(le.Uint32(hdr[12:]))
	if id+overflow >= f.hwm {
		f.problem("%s: page %d runs %d pages past the last page", what, id, overflow)
		return nil
	}
	for i := id; i <= id+overflow; i++ {
		if f.seen[i] {
			f.problem("%s: page %d is reached twice", what, i)
			return nil
		}
		f.seen[i] = true
	}
	p := make([]byte, (overflow+1)*f.pageSize)
	if _, err := f.r.ReadAt(p, int64(id*f.pageSize)); err != nil {
		f.problem("%s: page %d: %v", what, id, err)
		return nil
	}
	return p
}

func bucketName(path []string) string {
	if len(path) == 0 {
		return "root bucket"
	}
	return "bucket " + strings.Join(path, "/")
}

func (f *boltFile) walkPage(id uint64, path []string, depth int) {
	what := bucketName(path)
	if depth > maxWalkDepth {
		f.problem("%s: tree deeper than %d", what, maxWalkDepth)
		return
	}
	p := f.readPage(id, what)
	if p == nil {
		return
	}
	f.walkNode(p, fmt.Sprintf("page %d", id), path, depth)
}

// walkNode checks one branch or leaf node: a page, or an inline
// bucket's value.
func (f *boltFile) walkNode(p []byte, where string, path []string, depth int) {
	what := bucketName(path) + " " + where
	if len(p) < pageHeaderSize {
		f.problem("%s: %d bytes, shorter than a page header", what, len(p))
		return
	}
	le := binary.LittleEndian
	flags, count := le.Uint16(p[8:]), uint64(le.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > uint64(len(p)) {
		f.problem("%s: %d elements do not fit", what, count)
		return
	}
	if len(f.problems) >= maxFileProblems {
		return // enough said
	}
	if f.elements += int64(count); f.elements > f.size/elementSize+1 {
		f.problem("%s: more elements than the file can hold (overlapping inline buckets)", what)
		return
	}
	var prev []byte
	for i := range count {
		e := pageHeaderSize + i*elementSize
		switch flags {
		case branchPageFlag:
			pos, ksize, child := uint64(le.Uint32(p[e:])), uint64(le.Uint32(p[e+4:])), le.Uint64(p[e+8:])
			if e+pos+ksize > uint64(len(p)) {
				f.problem("%s: element %d's key lies outside the page", what, i)
				return
			}
			key := p[e+pos : e+pos+ksize]
			if i > 0 && bytes.Compare(prev, key) >= 0 {
				f.problem("%s: keys out of order at element %d", what, i)
				return
			}
			prev = key
			f.walkPage(child, path, depth+1)
		case leafPageFlag:
			eflags, pos, ksize, vsize := le.Uint32(p[e:]), uint64(le.Uint32(p[e+4:])), uint64(le.Uint32(p[e+8:])), uint64(le.Uint32(p[e+12:]))
			if e+pos+ksize+vsize > uint64(len(p)) {
				f.problem("%s: element %d lies outside the page", what, i)
				return
			}
			key, val := p[e+pos:e+pos+ksize], p[e+pos+ksize:e+pos+ksize+vsize]
			if i > 0 && bytes.Compare(prev, key) >= 0 {
				f.problem("%s: keys out of order at element %d", what, i)
				return
			}
			prev = key
			switch {
			case eflags&bucketLeafFlag == 0:
				if f.visit != nil {
					f.visit(path, key, val)
				}
			case len(val) < 16:
				f.problem("%s: bucket %q's header is %d bytes", what, key, len(val))
			case le.Uint64(val) == 0: // inline bucket: a leaf page in the value
				f.walkInline(val[16:], append(path[:len(path):len(path)], string(key)), depth+1)
			default:
				f.walkPage(le.Uint64(val), append(path[:len(path):len(path)], string(key)), depth+1)
			}
		default:
			f.problem("%s: type %#x is neither a branch nor a leaf", what, flags)
			return
		}
	}
}

func (f *boltFile) walkInline(p []byte, path []string, depth int) {
	if len(p) >= pageHeaderSize && binary.LittleEndian.Uint16(p[8:]) != leafPageFlag {
		f.problem("%s: inline bucket is not a leaf", bucketName(path))
		return
	}
	if depth > maxWalkDepth {
		f.problem("%s: buckets nested deeper than %d", bucketName(path), maxWalkDepth)
		return
	}
	f.walkNode(p, "(inline)", path, depth)
}

func (f *boltFile) checkFreelist(id uint64) {
	p := f.readPage(id, "freelist")
	if p == nil {
		return
	}
	le := binary.LittleEndian
	if le.Uint16(p[8:]) != freelistFlag {
		f.problem("freelist page %d has type %#x", id, le.Uint16(p[8:]))
		return
	}
	start, count := uint64(0), uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			f.problem("freelist page %d is too short", id)
			return
		}
		start, count = 1, le.Uint64(p[pageHeaderSize:])
	}
	if count > uint64(len(p)) || pageHeaderSize+(start+count)*8 > uint64(len(p)) {
		f.problem("freelist page %d: %d ids do not fit", id, count)
		return
	}
	for i := start; i < start+count; i++ {
		free := le.Uint64(p[pageHeaderSize+i*8:])
		if free < 2 || free >= f.hwm {
			f.problem("freelist: page %d is outside the file's pages", free)
			return
		}
		if f.seen[free] {
			f.problem("freelist: page %d is free and in use", free)
			return
		}
	}
}
