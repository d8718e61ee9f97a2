// Package shop is a simulated shop: inventory, orders, return labels and
// tracking, payments and refunds, and warehouse notices, as plain HTTP
// JSON APIs, so anyone can try Parley's workflows with no accounts
// (`parley simulate shop`) and tests can check that each side effect
// happened exactly once.
//
// Every POST is a side effect. A POST with an Idempotency-Key that was
// seen before on the same path is answered with the first answer and
// does nothing again (as Stripe's API does); the same key with a
// different body is refused with 422. Counts returns how many of each
// side effect really happened.
//
//	GET  /inventory/{sku}        {"sku", "name", "available"}
//	GET  /orders/{id}            {"id", "sku", "amount", "currency", "status", "carrier", "tracking"}
//	GET  /tracking/{order}       {"order_id", "status", "location", "eta"}
//	GET  /payments/{order}       {"order_id", "status", "amount", "currency"}
//	POST /returns                {"order_id", "reason"} → {"return_id", "label_url", "carrier"}
//	POST /warehouse/notices      {"order_id", "kind", "return_id"} → {"notice_id"}
//	POST /refunds                {"order_id", "amount"} → {"refund_id", "status", "amount"}
//	GET  /_counts                {"labels", "notices", "refunds", "replays", "calls"}
package shop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Order is one order the shop knows.
type Order struct {
	ID       string  `json:"id"`
	SKU      string  `json:"sku"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	Status   string  `json:"status"`
	Carrier  string  `json:"carrier"`
	Tracking string  `json:"tracking"`
}

// Counts is how many side effects the shop performed, and how many
// retried requests it answered from memory instead.
type Counts struct {
	Labels  int `json:"labels"`
	Notices int `json:"notices"`
	Refunds int `json:"refunds"`
	Replays int `json:"replays"`
	Calls   int `json:"calls"`
}

type stored struct {
	body   []byte // the request's body, to tell a retry from a reuse
	status int
	answer []byte
}

// Shop is the simulated shop. Its zero value is not ready: use New.
type Shop struct {
	mu        sync.Mutex
	stock     map[string]int
	names     map[string]string
	orders    map[string]Order
	seen      map[string]stored // path + " " + idempotency key
	counts    Counts
	failNext  map[string][]int // path → statuses to answer before working
	dropAfter map[string]int   // path → how many answers to lose after working
	next      int
}

// New returns a shop with a few products and orders: A1001 (a blender,
// 89.00, delivered), A1002 (an espresso machine, 249.00, delivered), A1003
// (a kettle, 35.00, in transit). The blender is in stock; the espresso
// machine is not.
func New() *Shop {
	return &Shop{
		stock: map[string]int{"BLENDER-1": 12, "ESPRESSO-2": 0, "KETTLE-3": 40},
		names: map[string]string{"BLENDER-1": "Blender Pro 600", "ESPRESSO-2": "Espresso Machine Duo", "KETTLE-3": "Steel Kettle"},
		orders: map[string]Order{
			"A1001": {ID: "A1001", SKU: "BLENDER-1", Amount: 89, Currency: "EUR", Status: "delivered", Carrier: "PostNord", Tracking: "PN100200300"},
			"A1002": {ID: "A1002", SKU: "ESPRESSO-2", Amount: 249, Currency: "EUR", Status: "delivered", Carrier: "DHL", Tracking: "DHL55501"},
			"A1003": {ID: "A1003", SKU: "KETTLE-3", Amount: 35, Currency: "EUR", Status: "in_transit", Carrier: "PostNord", Tracking: "PN100200301"},
		},
		seen:      map[string]stored{},
		failNext:  map[string][]int{},
		dropAfter: map[string]int{},
	}
}

// Counts returns the side effects so far.
func (s *Shop) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// FailNext makes the next requests to path answer these statuses without
// doing anything: an outage, for tests of retries.
func (s *Shop) FailNext(path string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[path] = append(s.failNext[path], statuses...)
}

// LoseAnswers makes the next n requests to path do their work and then
// cut the connection before answering: the caller cannot know the work
// was done, which is what an idempotency key is for.
func (s *Shop) LoseAnswers(path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter[path] += n
}

const maxBody = 64 << 10

func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.Calls++
	if st := s.failNext[r.URL.Path]; len(st) > 0 {
		s.failNext[r.URL.Path] = st[1:]
		s.mu.Unlock()
		writeJSON(w, st[0], map[string]string{"error": "the shop is having trouble; try again"})
		return
	}
	s.mu.Unlock()
	if r.Method == http.MethodGet {
		s.get(w, r)
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "GET or POST"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is too large"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	if key != "" {
		if prev, ok := s.seen[r.URL.Path+" "+key]; ok {
			s.mu.Unlock()
			if !bytes.Equal(prev.body, body) {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "this Idempotency-Key was used with a different request"})
				return
			}
			s.mu.Lock()
			s.counts.Replays++
			s.mu.Unlock()
			writeRaw(w, prev.status, prev.answer)
			return
		}
	}
	status, answer := s.post(r.URL.Path, body)
	raw, _ := json.Marshal(answer)
	if key != "" && status < 500 {
		s.seen[r.URL.Path+" "+key] = stored{body: body, status: status, answer: raw}
	}
	drop := status < 300 && s.dropAfter[r.URL.Path] > 0
	if drop {
		s.dropAfter[r.URL.Path]--
	}
	s.mu.Unlock()
	if drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	writeRaw(w, status, raw)
}

func (s *Shop) get(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(parts) == 1 && parts[0] == "_counts" {
		writeJSON(w, http.StatusOK, s.counts)
		return
	}
	if len(parts) != 2 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such resource"})
		return
	}
	switch parts[0] {
	case "inventory":
		n, ok := s.stock[parts[1]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no product " + parts[1]})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"sku": parts[1], "name": s.names[parts[1]], "available": n})
	case "orders", "tracking", "payments":
		o, ok := s.orders[parts[1]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order " + parts[1]})
			return
		}
		switch parts[0] {
		case "orders":
			writeJSON(w, http.StatusOK, o)
		case "tracking":
			loc, eta := "delivered to the customer", ""
			if o.Status == "in_transit" {
				loc, eta = "regional sorting centre", "tomorrow"
			}
			writeJSON(w, http.StatusOK, map[string]any{"order_id": o.ID, "status": o.Status, "carrier": o.Carrier, "location": loc, "eta": eta})
		case "payments":
			writeJSON(w, http.StatusOK, map[string]any{"order_id": o.ID, "status": "captured", "amount": o.Amount, "currency": o.Currency})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such resource"})
	}
}

// post performs a side effect; the caller holds s.mu.
func (s *Shop) post(path string, body []byte) (int, any) {
	var in struct {
		OrderID  string  `json:"order_id"`
		Reason   string  `json:"reason"`
		Kind     string  `json:"kind"`
		ReturnID string  `json:"return_id"`
		Amount   float64 `json:"amount"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return http.StatusBadRequest, map[string]string{"error": "the body is not JSON: " + err.Error()}
	}
	o, ok := s.orders[in.OrderID]
	if !ok {
		return http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no order %q", in.OrderID)}
	}
	s.next++
	switch path {
	case "/returns":
		s.counts.Labels++
		id := fmt.Sprintf("R%04d", s.next)
		return http.StatusCreated, map[string]any{"return_id": id, "order_id": o.ID, "carrier": o.Carrier,
			"label_url": "https://labels.shop.example/" + id + ".pdf"}
	case "/warehouse/notices":
		if in.Kind == "" {
			return http.StatusBadRequest, map[string]string{"error": "kind is required (return, replacement)"}
		}
		s.counts.Notices++
		return http.StatusCreated, map[string]any{"notice_id": fmt.Sprintf("N%04d", s.next), "order_id": o.ID, "kind": in.Kind}
	case "/refunds":
		if in.Amount <= 0 || in.Amount > o.Amount {
			return http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("a refund is more than 0 and at most the order's %.2f", o.Amount)}
		}
		s.counts.Refunds++
		return http.StatusCreated, map[string]any{"refund_id": fmt.Sprintf("F%04d", s.next), "order_id": o.ID, "status": "pending", "amount": in.Amount}
	default:
		s.next--
		return http.StatusNotFound, map[string]string{"error": "no such resource"}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
