package report

// Surveys is what customers answered to the surveys sent after
// resolutions in the period: the customer effort score (CES, 1 = very
// easy … 5 = very hard; the goal is a mean under 2) and the optional
// satisfaction score (CSAT, 1 … 5).
type Surveys struct {
	Sent         int     `json:"sent"`
	Answered     int     `json:"answered"`
	ResponseRate float64 `json:"response_rate"`
	CES          Score   `json:"ces"`
	CSAT         Score   `json:"csat"`
}

// Score summarises 1–5 answers. Good counts the answers that meet the
// goal (CES 1–2, CSAT 4–5).
type Score struct {
	Count    int     `json:"count"`
	Mean     float64 `json:"mean"`
	Dist     [5]int  `json:"distribution"`
	Good     int     `json:"good"`
	GoodRate float64 `json:"good_rate"`
}
