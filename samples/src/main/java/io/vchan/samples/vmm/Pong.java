package io.vchan.samples.vmm;

import io.vchan.connector.DomainId;
import java.time.Duration;

/** The guest agent in domain {@code guest} answered a ping, after {@code roundTrip}. */
public record Pong(DomainId guest, Duration roundTrip) {
}
