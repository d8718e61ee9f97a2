package store

import (
	"strings"
	"testing"
)

func TestParsePGOptions(t *testing.T) {
	clean, opts, err := parsePGOptions("postgres://u@h:5432/db?sslmode=disable&pool_max_conns=12&parley_writers=2&parley_cluster_writers=3&search_path=s1")
	if err != nil {
		t.Fatal(err)
	}
	if opts.poolMaxConns != 12 || opts.writers != 2 || opts.clusterWriters != 3 {
		t.Fatalf("options %+v", opts)
	}
	if strings.Contains(clean, "pool_max_conns") || strings.Contains(clean, "parley_writers") || strings.Contains(clean, "parley_cluster_writers") ||
		!strings.Contains(clean, "sslmode=disable") || !strings.Contains(clean, "search_path=s1") {
		t.Fatalf("the driver's URL: %s", clean)
	}
	if _, opts, err := parsePGOptions("postgres://u@h/db"); err != nil || opts.poolMaxConns != 32 || opts.writers != 4 || opts.clusterWriters != 2 {
		t.Fatalf("defaults: %+v %v", opts, err)
	}
	if _, opts, err := parsePGOptions("postgres://u@h/db?parley_cluster_writers=0"); err != nil || opts.clusterWriters != 0 {
		t.Fatalf("no cap: %+v %v", opts, err)
	}
	for _, bad := range []string{
		"postgres://u@h/db?pool_max_conns=0",
		"postgres://u@h/db?pool_max_conns=many",
		"postgres://u@h/db?parley_writers=0",
		"postgres://u@h/db?parley_writers=8&pool_max_conns=8", // nothing left for reads
		"postgres://u@h/db?parley_writers=65",
		"postgres://u@h/db?parley_cluster_writers=1025",
		"postgres://u@h/db?parley_cluster_writers=-1",
	} {
		if _, _, err := parsePGOptions(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
