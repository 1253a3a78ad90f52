package io.vchan.samples.vmm;

import io.vchan.bridge.xen.DomainId;

/**
 * One guest as the manager sees it: its link's state, how many times it has
 * connected, and the last thing that happened to the link (the channel's path
 * when connected, the cause when not).
 */
public record GuestInfo(DomainId guest, LinkState state, int connects, String detail) {
}
