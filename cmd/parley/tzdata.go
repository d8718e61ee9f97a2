package main

// Business hours name time zones; embedding the zone database lets
// Parley run where the host has none (minimal containers).
import _ "time/tzdata"
