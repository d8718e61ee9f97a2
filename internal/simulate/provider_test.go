package simulate_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/simulate"
)

// sendBodies are one send in each JSON provider's shape (SMS is a form).
var sendBodies = map[string]string{
	"whatsapp":  `{"messaging_product":"whatsapp","recipient_type":"individual","to":"15550001234","type":"text","text":{"body":"hi"}}`,
	"messenger": `{"recipient":{"id":"7000000000000001"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`,
	"zalo":      `{"recipient":{"user_id":"8000000000000001"},"message":{"text":"hi"}}`,
	"sms":       `To=%2B15550001234&From=%2B15550009999&Body=hi`,
}

// sendIDs plays one `parley simulate` run: a fresh provider takes n sends
// and returns the ids it gave them.
func sendIDs(t *testing.T, channel string, n int) []string {
	t.Helper()
	p := simulate.NewProvider(channel)
	var ids []string
	for range n {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/send", strings.NewReader(sendBodies[channel])))
		if w.Code/100 != 2 {
			t.Fatalf("%s: answered %d %s", channel, w.Code, w.Body)
		}
		s := <-p.Sent
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || !strings.Contains(w.Body.String(), s.ID) {
			t.Fatalf("%s: answer %s does not carry the id %q", channel, w.Body, s.ID)
		}
		ids = append(ids, s.ID)
	}
	return ids
}

// TestProviderIDsUniqueAcrossRuns: an inbox kept between two runs of
// `parley simulate` must never see one provider id for two messages (the
// ids were a counter from 1, so the second run repeated the first's).
func TestProviderIDsUniqueAcrossRuns(t *testing.T) {
	for channel := range sendBodies {
		seen := map[string]bool{}
		for run := range 2 {
			for _, id := range sendIDs(t, channel, 3) {
				if id == "" || seen[id] {
					t.Errorf("%s run %d: id %q given twice", channel, run+1, id)
				}
				seen[id] = true
			}
		}
	}
}
