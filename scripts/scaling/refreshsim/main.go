// Command refreshsim simulates what the agent inbox's live refreshes
// (internal/web/static/app.js) do as the event rate grows: how often one
// open page asks the server for its conversation list and its sidebar
// counts, and how long the list can go without being refreshed.
//
// app.js refreshes the list 100 ms after the last of a run of message.*
// and conversation.* events (a debounce: every event restarts the wait)
// and the counts at most every 3 s (a throttle). Every agent's stream
// receives every event, so the rate that matters is the whole
// deployment's. Events arrive here as a Poisson process (independent
// arrivals at a mean rate); real traffic is burstier, which leaves more
// gaps. No network and no server: it counts timer firings.
//
//	go run ./scripts/scaling/refreshsim
//	go run ./scripts/scaling/refreshsim -rates 1,10,30,100 -minutes 120
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	rates := flag.String("rates", "1.5,5,10,15,30,50,150,1500", "event rates to simulate, per second, whole deployment")
	minutes := flag.Float64("minutes", 60, "simulated minutes per rate")
	debounce := flag.Duration("debounce", 100*time.Millisecond, "the list's debounce (app.js refreshList before 2026-12-06)")
	listThrottle := flag.Duration("list-throttle", 0, "model the list as a throttle with a trailing call, at most one refresh per this long (app.js today: 1s); 0 models the debounce")
	throttle := flag.Duration("throttle", 3*time.Second, "the counts' throttle (app.js refreshCounts)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()

	fmt.Printf("refreshsim: %.0f simulated minutes per rate, list debounce %v, counts throttle %v, Poisson arrivals\n\n",
		*minutes, *debounce, *throttle)
	fmt.Println("| events/s | list refreshes/s per page (simulated) | λ·e^(−λw) | longest time without a list refresh | counts refreshes/s per page |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: |")
	for _, f := range strings.Split(*rates, ",") {
		rate, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || rate <= 0 {
			fmt.Fprintf(os.Stderr, "refreshsim: -rates: %q is not a rate\n", f)
			os.Exit(2)
		}
		list, counts, longest := simulate(rate, *minutes*60, debounce.Seconds(), listThrottle.Seconds(), throttle.Seconds(), rand.New(rand.NewPCG(*seed, uint64(rate*1000))))
		span := *minutes * 60
		w := debounce.Seconds()
		stale := longest.String()
		if list == 0 {
			stale = "never refreshed in " + stale
		}
		fmt.Printf("| %g | %.3f | %.3f | %s | %.3f |\n", rate, float64(list)/span, rate*math.Exp(-rate*w),
			stale, float64(counts)/span)
	}
}

// simulate runs span seconds of Poisson arrivals at rate and returns how
// many times the debounced list refresh and the throttled counts refresh
// fired, and the longest stretch (from the first event after a refresh)
// with no list refresh.
func simulate(rate, span, debounce, listThrottle, throttle float64, rng *rand.Rand) (list, counts int, longest time.Duration) {
	l, c, s := simulateSeconds(rate, span, debounce, listThrottle, throttle, rng)
	return l, c, time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

func simulateSeconds(rate, span, debounce, listThrottle, throttle float64, rng *rand.Rand) (list, counts int, longest float64) {
	t := 0.0
	lastList := math.Inf(-1)
	var due float64 = -1 // when the debounced list refresh fires; -1: none pending
	pendingSince := -1.0 // first event not yet covered by a list refresh
	lastCounts := math.Inf(-1)
	countsDue := -1.0
	for {
		next := t + rng.ExpFloat64()/rate
		// Timers that fire before the next event.
		if due >= 0 && due <= next {
			list++
			longest = max(longest, due-pendingSince)
			lastList, due, pendingSince = due, -1, -1
		}
		if countsDue >= 0 && countsDue <= next {
			counts++
			lastCounts, countsDue = countsDue, -1
		}
		if next > span {
			if pendingSince >= 0 {
				longest = max(longest, span-pendingSince)
			}
			return list, counts, longest
		}
		t = next
		// The event: restart the list's wait; start the counts' timer
		// unless one is set.
		switch {
		case listThrottle <= 0:
			due = t + debounce
		case due < 0:
			due = max(t, lastList+listThrottle)
		}
		if pendingSince < 0 {
			pendingSince = t
		}
		if countsDue < 0 {
			countsDue = max(t, lastCounts+throttle)
		}
	}
}
