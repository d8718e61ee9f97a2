package flow

import (
	"embed"
	"path"
	"sort"
)

//go:embed templates/*.yaml
var templateFiles embed.FS

// Template is a built-in workflow to start from.
type Template struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Source      string `json:"source"`
}

// Templates returns the built-in workflows (damaged item, missing
// refund, where is my order), each a document ready to save and edit.
func Templates() []Template {
	entries, _ := templateFiles.ReadDir("templates")
	var out []Template
	for _, e := range entries {
		b, err := templateFiles.ReadFile(path.Join("templates", e.Name()))
		if err != nil {
			continue
		}
		d, err := Parse(string(b))
		if err != nil {
			continue // TestTemplatesParse keeps this from happening
		}
		out = append(out, Template{Name: d.Name, Description: d.Description, Source: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
