#!/usr/bin/env bash
# kafka-producer-perf-test.sh: Kafka's producer performance tool (flags and result lines), over Confluent.Kafka (src/Samsa.Cli).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/samsa-run-class.sh" Samsa.Cli kafka-producer-perf-test "$@"
