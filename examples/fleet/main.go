// Command fleet is fleetkit's one-command demo: an embedded MQTT broker, a cloud role and N
// device roles in one process. Devices stream telemetry and ask the cloud a question; the cloud
// answers; the cloud changes a desired setting in every device's twin and each device applies and
// acknowledges it; one device tries to publish as another and is refused. It prints a summary and
// exits 0.
//
//	go run ./examples/fleet                    # embedded broker, 20 devices
//	go run ./examples/fleet -devices 200 -messages 50
//	go run ./examples/fleet -broker mqtt://127.0.0.1:1883   # an external broker (e.g. Mosquitto)
//	go run ./examples/fleet -keep              # keep running until Ctrl-C
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg Config
	flag.IntVar(&cfg.Devices, "devices", 20, "number of device roles")
	flag.IntVar(&cfg.Messages, "messages", 10, "telemetry messages per device")
	flag.StringVar(&cfg.Broker, "broker", "", "external broker URL (default: start the embedded broker)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep running after the summary until interrupted")
	flag.DurationVar(&cfg.Timeout, "timeout", time.Minute, "give up on the scenario after this long")
	flag.Parse()

	// Interrupts end the run (and -keep); the scenario itself is bounded by -timeout.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fleet demo failed:", err)
		os.Exit(1)
	}
}
