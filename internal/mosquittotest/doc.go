// Package mosquittotest starts a real Eclipse Mosquitto broker (https://mosquitto.org, tested
// with 2.0.11, the Debian package "mosquitto") for interoperability tests.
//
//	srv := mosquittotest.Start(t)            // skips when Mosquitto is not installed
//	client := dial(srv.Addr())               // "127.0.0.1:port"
//	srv.Restart()                            // same port, same persistence
//
// When the binary is missing the test is skipped, except when the environment variable CI is
// "true": then it fails and names the apt-get command, so a CI run cannot pass by skipping.
//
// Each Server runs its own mosquitto process on free loopback ports with a configuration
// written to t.TempDir(). The settings are chosen knowingly, not left to Mosquitto's defaults:
//
//   - set_tcp_nodelay true: Mosquitto 2.0.11 leaves Nagle's algorithm on, and a QoS 1
//     request/response then stalls about 44 ms per round trip (delayed ACK meets Nagle).
//   - max_inflight_messages (default 100 here; [MaxInflight]) and max_queued_messages (default
//     10000 here; [MaxQueued]): Mosquitto's own queue cap of 1,000 silently drops QoS 1 messages
//     for a slow or offline subscriber.
//   - persistence true in the temp directory: Restart (SIGTERM, which makes Mosquitto save its
//     database, then a new process) keeps persistent sessions and their queued QoS 1 messages.
//     Kill (SIGKILL) loses what Mosquitto had not saved, like a crash. Mosquitto 2.0.11 saves
//     only sessions whose last CONNECT had Clean Start false: a v5 session created with Clean
//     Start true and a Session Expiry Interval survives a reconnect but not a restart. Tests of
//     delivery across a restart must connect with Clean Start false.
//   - allow_anonymous true: authorization is not what these tests exercise, except through the
//     TLS options ([TLS]: cafile, certfile, keyfile, require_certificate,
//     use_identity_as_username, crlfile), which open a second, TLS listener.
//
// The broker's log goes to a file in the temp directory and is printed when the test fails.
// t.Cleanup stops the process (SIGTERM, then SIGKILL after a grace period), so no process
// outlives its test.
package mosquittotest
