package io.vchan.samples.vmm;

import io.vchan.connector.DomainId;
import java.util.Optional;

/**
 * One guest as the manager sees it, by its name ({@link GuestAddress#name}):
 * the domain its link last connected to (none before the first connection),
 * the link's state, how many times it has connected, and the last thing that
 * happened to the link (the channel's path when connected, the cause when not).
 */
public record GuestInfo(String guest, Optional<DomainId> domain, LinkState state, int connects, String detail) {
}
