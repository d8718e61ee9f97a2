package email

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"net/textproto"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/parleyhq/parley/internal/parley"
)

// Omission is a part of an email that Parley did not keep, and why, so
// the agent can be told and can ask the customer for it another way.
type Omission struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`   // decoded bytes, estimated from the encoded size for parts left on the server
	Reason      string `json:"reason"` // one of the Omit… reasons
	Limit       int64  `json:"limit"`  // the limit exceeded, in bytes
}

// Reasons a part was left out.
const (
	// OmitFileTooLarge: the file is over the largest attachment Parley keeps.
	OmitFileTooLarge = parley.OmitFileTooLarge
	// OmitMessageTooLarge: the whole email was over MaxMessageSize and this
	// part did not fit beside the text and the smaller parts.
	OmitMessageTooLarge = parley.OmitMessageTooLarge
)

// DefaultMaxPartSize is the largest decoded part the poller fetches when
// Poller.MaxPartSize is zero: Parley's default upload limit.
const DefaultMaxPartSize = 25 << 20

// fetchTrimmed fetches a message over limit (MaxMessageSize) without its
// parts that do not fit: it reads the structure (BODYSTRUCTURE), keeps
// the text and HTML bodies first and then every other part, in order,
// whose decoded size is within maxPart and whose encoded size fits what
// is left of limit, and fetches only those (BODY.PEEK[n.MIME] and
// BODY.PEEK[n]). It returns the message rebuilt from the header and the
// kept parts, and what it left out. raw is nil if the message is gone.
func fetchTrimmed(c *imapclient.Client, uid imap.UID, limit, maxPart int64) (raw []byte, omitted []Omission, err error) {
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true}, BodySection: []*imap.FetchItemBodySection{header}}).Collect()
	if err != nil {
		return nil, nil, fmt.Errorf("email: FETCH structure of UID %d: %w", uid, err)
	}
	var top *imapclient.FetchMessageBuffer
	for _, m := range msgs {
		if m.UID == uid {
			top = m
		}
	}
	if top == nil || top.BodyStructure == nil {
		return nil, nil, nil
	}
	head := top.FindBodySection(header)

	// Choose the parts to keep: bodies first, as they are the message.
	type leaf struct {
		path []int
		part *imap.BodyStructureSinglePart
	}
	var leaves []leaf
	top.BodyStructure.Walk(func(path []int, bs imap.BodyStructure) bool {
		if p, ok := bs.(*imap.BodyStructureSinglePart); ok {
			leaves = append(leaves, leaf{slices.Clone(path), p})
		}
		return true
	})
	slices.SortStableFunc(leaves, func(a, b leaf) int {
		return boolRank(isBody(b.part)) - boolRank(isBody(a.part))
	})
	budget := limit - int64(len(head)) - 64<<10 // room for part headers and boundaries
	_, multi := top.BodyStructure.(*imap.BodyStructureMultiPart)
	kept := map[string]bool{}
	var sections []*imap.FetchItemBodySection
	for _, l := range leaves {
		size := decodedSize(l.part)
		switch {
		case size > maxPart:
			omitted = append(omitted, omission(l.part, size, OmitFileTooLarge, maxPart))
		case int64(l.part.Size) > budget:
			omitted = append(omitted, omission(l.part, size, OmitMessageTooLarge, limit))
		case !multi: // the whole body of a one-part message
			budget -= int64(l.part.Size)
			kept["1"] = true
			sections = append(sections, &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true})
		default:
			budget -= int64(l.part.Size)
			kept[pathKey(l.path)] = true
			sections = append(sections, &imap.FetchItemBodySection{Part: l.path, Peek: true},
				&imap.FetchItemBodySection{Part: l.path, Specifier: imap.PartSpecifierMIME, Peek: true})
		}
	}
	// The headers of nested multiparts, which name their boundaries.
	top.BodyStructure.Walk(func(path []int, bs imap.BodyStructure) bool {
		if _, ok := bs.(*imap.BodyStructureMultiPart); ok && len(path) > 0 {
			sections = append(sections, &imap.FetchItemBodySection{Part: slices.Clone(path), Specifier: imap.PartSpecifierMIME, Peek: true})
		}
		return true
	})
	var parts *imapclient.FetchMessageBuffer
	if len(sections) > 0 {
		got, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: sections}).Collect()
		if err != nil {
			return nil, nil, fmt.Errorf("email: FETCH parts of UID %d: %w", uid, err)
		}
		for _, m := range got {
			if m.UID == uid {
				parts = m
			}
		}
		if parts == nil {
			return nil, nil, nil
		}
	}
	body := func(path []int, spec imap.PartSpecifier) []byte {
		if parts == nil {
			return nil
		}
		return parts.FindBodySection(&imap.FetchItemBodySection{Part: path, Specifier: spec, Peek: true})
	}

	var out bytes.Buffer
	out.Write(head)
	mp, ok := top.BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok {
		if kept["1"] {
			out.Write(body(nil, imap.PartSpecifierText))
		}
		return out.Bytes(), omitted, nil
	}
	var write func(mp *imap.BodyStructureMultiPart, path []int, header []byte) error
	write = func(mp *imap.BodyStructureMultiPart, path []int, header []byte) error {
		boundary := ""
		if mp.Extended != nil {
			boundary = mp.Extended.Params["boundary"]
		}
		if boundary == "" {
			boundary = boundaryOf(header) // a server without extended BODYSTRUCTURE
		}
		if boundary == "" {
			return fmt.Errorf("email: UID %d: the server gave no multipart boundary", uid)
		}
		written := 0
		for i, child := range mp.Children {
			cpath := append(slices.Clone(path), i+1)
			switch child := child.(type) {
			case *imap.BodyStructureMultiPart:
				fmt.Fprintf(&out, "--%s\r\n", boundary)
				mh := body(cpath, imap.PartSpecifierMIME)
				out.Write(mh)
				if err := write(child, cpath, mh); err != nil {
					return err
				}
				written++
			default:
				if !kept[pathKey(cpath)] {
					continue
				}
				fmt.Fprintf(&out, "--%s\r\n", boundary)
				out.Write(body(cpath, imap.PartSpecifierMIME))
				out.Write(body(cpath, imap.PartSpecifierNone))
				out.WriteString("\r\n")
				written++
			}
		}
		if written == 0 {
			// A multipart needs a part; an empty file is skipped later.
			fmt.Fprintf(&out, "--%s\r\nContent-Type: application/octet-stream\r\n\r\n\r\n", boundary)
		}
		fmt.Fprintf(&out, "--%s--\r\n", boundary)
		return nil
	}
	if err := write(mp, nil, head); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), omitted, nil
}

// boundaryOf reads the boundary parameter of a header's Content-Type.
func boundaryOf(header []byte) string {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(header))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return params["boundary"]
}

// isBody reports whether a part is the text or HTML of the message rather
// than a file.
func isBody(p *imap.BodyStructureSinglePart) bool {
	mt := p.MediaType()
	if mt != "text/plain" && mt != "text/html" {
		return false
	}
	if d := p.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") {
		return false
	}
	return p.Filename() == ""
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// decodedSize estimates a part's size once decoded: base64 carries 57
// bytes in each 78-byte line.
func decodedSize(p *imap.BodyStructureSinglePart) int64 {
	if strings.EqualFold(p.Encoding, "base64") {
		return int64(p.Size) * 57 / 78
	}
	return int64(p.Size)
}

func omission(p *imap.BodyStructureSinglePart, size int64, reason string, limit int64) Omission {
	return Omission{Filename: safeFilename(p.Filename(), p.MediaType()), ContentType: p.MediaType(), Size: size, Reason: reason, Limit: limit}
}

func pathKey(path []int) string {
	s := make([]string, len(path))
	for i, n := range path {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ".")
}
