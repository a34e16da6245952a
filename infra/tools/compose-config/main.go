// compose-config loads a Compose file with compose-go, the library `docker compose` itself uses
// to read, interpolate, validate (against the Compose Specification's JSON schema) and
// normalise a project, and prints the result: what `docker compose config` does, without a
// Docker engine. Used by infra/bin/validate-deploy.
//
//	compose-config -f docker-compose.yml [-env-file .env]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := flag.String("f", "docker-compose.yml", "the Compose file")
	envFile := flag.String("env-file", "", "an env file for interpolation (default: none)")
	flag.Parse()
	opts := []cli.ProjectOptionsFn{cli.WithOsEnv, cli.WithInterpolation(true), cli.WithNormalization(true), cli.WithResolvedPaths(true)}
	if *envFile != "" {
		opts = append(opts, cli.WithEnvFiles(*envFile), cli.WithDotEnv)
	}
	options, err := cli.NewProjectOptions([]string{*file}, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-config:", err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-config:", err)
		os.Exit(1)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-config:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
