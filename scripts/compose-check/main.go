// compose-check loads a compose file the way `docker compose config` does (compose-go: the
// compose specification's schema, interpolation, env_file resolution, merges) and prints the
// resolved project as JSON, or the loader's error and exit status 1. Docker cannot run on the
// build machine; this checks docker-compose.yml with the library Docker Compose itself uses.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <docker-compose.yml>")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(
		[]string{os.Args[1]},
		cli.WithOsEnv,
		// .env of the project folder, read for interpolation as `docker compose` reads it.
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithResolvedPaths(true),
		cli.WithInterpolation(true),
	)
	if err == nil {
		var project interface{}
		project, err = options.LoadProject(context.Background())
		if err == nil {
			out, _ := json.MarshalIndent(project, "", "  ")
			fmt.Println(string(out))
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
