package specialist

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
)

// skill is what one agent knows how to do: its card, and the check that
// turns an order id into findings (a data part's value, of JSON types
// only, since the SDK's task store copies it with gob) and a sentence.
type skill struct {
	kind        Kind
	name        string
	description string
	card        a2a.AgentSkill
	artifact    string // the artifact's name
	check       func(ctx context.Context, shop *shopAPI, order string) (findings map[string]any, summary string, err error)
}

var skills = map[Kind]*skill{
	Payment: {
		kind:        Payment,
		name:        "Parley payment agent",
		description: "Checks an order's payment at the shop: whether it was captured, the amount and currency, what was refunded and what can still be refunded. It only reads; it never moves money.",
		artifact:    "payment",
		check:       checkPayment,
		card: a2a.AgentSkill{ID: "check_payment", Name: "Check a payment", Tags: []string{"payments", "refunds", "orders"},
			Description: "Name the order as a data part {\"order_id\": \"A1001\"} or in the text (a letter and four digits). " +
				"The task completes with an artifact \"payment\": a data part {order_id, status, amount, currency, refunded_amount, " +
				"refundable_amount, order_status, checked_at} and one sentence for a person. " + outcomes,
			Examples:    []string{"Where is the refund for order A1001?", `{"order_id": "A1001"}`},
			InputModes:  []string{"text/plain", "application/json"},
			OutputModes: []string{"application/json", "text/plain"}},
	},
	Logistics: {
		kind:        Logistics,
		name:        "Parley logistics agent",
		description: "Asks the carrier, through the shop, where an order's parcel is: its status, carrier, last location and expected delivery, and whether it was delivered or returned. It only reads.",
		artifact:    "tracking",
		check:       trackParcel,
		card: a2a.AgentSkill{ID: "track_parcel", Name: "Track a parcel", Tags: []string{"logistics", "shipping", "tracking", "orders"},
			Description: "Name the order as a data part {\"order_id\": \"A1003\"} or in the text (a letter and four digits). " +
				"The task completes with an artifact \"tracking\": a data part {order_id, status, carrier, location, eta, delivered, " +
				"returned, tracking_number, checked_at} and one sentence for a person. " + outcomes,
			Examples:    []string{"Where is my parcel for order A1003?", `{"order_id": "A1003"}`},
			InputModes:  []string{"text/plain", "application/json"},
			OutputModes: []string{"application/json", "text/plain"}},
	},
}

const outcomes = "An order the shop does not know ends TASK_STATE_REJECTED; a shop that does not answer ends TASK_STATE_FAILED " +
	"(the status message says why, with a data part {error, reason, retryable}); a message without an order id waits in " +
	"TASK_STATE_INPUT_REQUIRED for one. A retry with the same messageId answers with the first task."

// refundableStatuses are payment states whose money was taken and can
// go back. An authorization is voided, not refunded, and a failed or
// pending payment took nothing.
var refundableStatuses = map[string]bool{"captured": true, "paid": true, "settled": true, "succeeded": true, "partially_refunded": true}

// checkPayment reads GET /payments/{order}, and GET /orders/{order} for
// the order's own status (a delivered order and one still in transit
// call for different refunds). The payment is what matters: without the
// order's status the findings are still whole, so that call may fail.
func checkPayment(ctx context.Context, shop *shopAPI, order string) (map[string]any, string, error) {
	var p struct {
		OrderID  string   `json:"order_id"`
		Status   string   `json:"status"`
		Amount   *float64 `json:"amount"`
		Currency string   `json:"currency"`
		// Refunded is not in the simulated shop's answer; a real
		// gateway that says it lowers what can still be refunded.
		Refunded float64 `json:"refunded_amount"`
	}
	if err := shop.get(ctx, "payments", order, &p); err != nil {
		return nil, "", err
	}
	status, currency := strings.ToLower(oneLine(p.Status)), strings.ToUpper(oneLine(p.Currency))
	if !sameOrder(p.OrderID, order) || status == "" || currency == "" || p.Amount == nil || *p.Amount < 0 || p.Refunded < 0 {
		return nil, "", badAnswer("payments", order)
	}
	amount := cents(*p.Amount)
	refundable := 0.0
	if refundableStatuses[status] {
		refundable = math.Max(0, cents(amount-p.Refunded))
	}
	var o struct {
		Status string `json:"status"`
	}
	if err := shop.get(ctx, "orders", order, &o); err != nil {
		slog.Info("specialist: the order's status is unknown; the payment findings go without it", "order", order, "err", err)
	}
	orderStatus := strings.ToLower(oneLine(o.Status))
	findings := map[string]any{
		"order_id":          order,
		"status":            status,
		"amount":            amount,
		"currency":          currency,
		"refunded_amount":   cents(p.Refunded),
		"refundable_amount": refundable,
		"order_status":      orderStatus,
		"checked_at":        time.Now().UTC().Format(time.RFC3339),
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The payment of %s for order %s is %s", money(amount, currency), order, words(status))
	if refundable > 0 {
		fmt.Fprintf(&b, "; %s can still be refunded", money(refundable, currency))
	} else {
		b.WriteString("; nothing can be refunded")
	}
	if orderStatus != "" {
		fmt.Fprintf(&b, ", and the order is %s", words(orderStatus))
	}
	b.WriteString(".")
	return findings, b.String(), nil
}

// trackParcel reads GET /tracking/{order}, and GET /orders/{order} for
// the tracking number a person can give the customer (and the carrier,
// when tracking does not name it). Tracking is what matters; the order
// call may fail.
func trackParcel(ctx context.Context, shop *shopAPI, order string) (map[string]any, string, error) {
	var tr struct {
		OrderID  string `json:"order_id"`
		Status   string `json:"status"`
		Carrier  string `json:"carrier"`
		Location string `json:"location"`
		ETA      string `json:"eta"`
	}
	if err := shop.get(ctx, "tracking", order, &tr); err != nil {
		return nil, "", err
	}
	status := strings.ToLower(oneLine(tr.Status))
	if !sameOrder(tr.OrderID, order) || status == "" {
		return nil, "", badAnswer("tracking", order)
	}
	var o struct {
		Carrier  string `json:"carrier"`
		Tracking string `json:"tracking"`
	}
	if err := shop.get(ctx, "orders", order, &o); err != nil {
		slog.Info("specialist: the order's tracking number is unknown; the tracking findings go without it", "order", order, "err", err)
	}
	carrier := oneLine(tr.Carrier)
	if carrier == "" {
		carrier = oneLine(o.Carrier)
	}
	location, eta := oneLine(tr.Location), oneLine(tr.ETA)
	delivered := status == "delivered"
	returned := strings.HasPrefix(status, "returned") || status == "return_to_sender"
	findings := map[string]any{
		"order_id":        order,
		"status":          status,
		"carrier":         carrier,
		"location":        location,
		"eta":             eta,
		"delivered":       delivered,
		"returned":        returned,
		"tracking_number": oneLine(o.Tracking),
		"checked_at":      time.Now().UTC().Format(time.RFC3339),
	}
	var b strings.Builder
	switch {
	case delivered, returned:
		verb := "delivered"
		if returned {
			verb = "returned to the sender"
		}
		fmt.Fprintf(&b, "The parcel for order %s was %s", order, verb)
		if carrier != "" {
			fmt.Fprintf(&b, " by %s", carrier)
		}
		if location != "" {
			fmt.Fprintf(&b, " (%s)", location)
		}
	default:
		fmt.Fprintf(&b, "The parcel for order %s is %s", order, words(status))
		if carrier != "" {
			fmt.Fprintf(&b, " with %s", carrier)
		}
		if location != "" {
			fmt.Fprintf(&b, " (last scan: %s)", location)
		}
		if eta != "" {
			fmt.Fprintf(&b, ", expected %s", eta)
		}
	}
	b.WriteString(".")
	return findings, b.String(), nil
}

// sameOrder accepts an answer that names the order asked for, or none.
// One about another order means the shop is not the API the agent
// expects, and its findings would mislead.
func sameOrder(answered, asked string) bool {
	return answered == "" || strings.EqualFold(strings.TrimSpace(answered), asked)
}

func badAnswer(resource, order string) error {
	return &shopError{code: errBadAnswer,
		reason: fmt.Sprintf("the shop's answer to GET /%s/%s lacks what this agent needs (or is about another order)", resource, order)}
}

// cents rounds an amount to cents: the shop's amounts are JSON numbers,
// and 89.1-0.1 must not read 88.99999999999999.
func cents(x float64) float64 { return math.Round(x*100) / 100 }

func money(x float64, currency string) string { return fmt.Sprintf("%.2f %s", x, currency) }

// words turns a status such as "in_transit" into "in transit".
func words(status string) string { return strings.ReplaceAll(status, "_", " ") }
