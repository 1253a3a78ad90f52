package io.vchan.samples.vmm;

import io.vchan.connector.DomainId;

/** What a guest agent reports about itself. */
public record GuestStatus(DomainId guest, long uptimeMs, String hostname, long pid) {
}
