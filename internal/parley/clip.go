package parley

import "fmt"

// Clip is a file kept with a canned response or a knowledge article (a
// screen recording that shows the fix, a marked screenshot) and offered
// as an attachment whenever an agent uses it. UploadID is the stored
// file's sha256, as attachments name uploads.
type Clip struct {
	UploadID string `json:"upload_id"`
	Filename string `json:"filename"`
}

// ValidClip checks a clip's id and name; a nil clip is valid (none).
func ValidClip(c *Clip) error {
	if c == nil {
		return nil
	}
	if len(c.UploadID) != 64 || !isLowerHex(c.UploadID) {
		return Errorf(EINVALID, "the clip's upload_id must be an id from an upload (64 lower-case hex digits)")
	}
	c.Filename = CleanFilename(c.Filename)
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// VideoLength is a video's length as players show it ("0:42",
// "1:05:00"), from Attachment.DurationMS; empty when unknown.
func VideoLength(ms int64) string {
	if ms <= 0 {
		return ""
	}
	s := (ms + 500) / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
