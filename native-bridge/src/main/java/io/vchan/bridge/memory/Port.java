package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;

/** One event-channel port of one domain. Guarded by its {@link PortTable}'s lock. */
final class Port {

    enum State { UNBOUND, INTERDOMAIN }

    final DomainId domain;
    final int number;
    State state;
    /** Unbound: the one domain that may bind it. Interdomain: the peer's domain. */
    DomainId remote;
    int remotePort;
    /** The handle it is bound through; null once unbound but kept for a notification. */
    MemoryEventChannels owner;
    boolean masked;
    boolean pending;
    /** Unmap notifications that will still signal through it, as gntdev holds a reference. */
    int notifyRefs;

    Port(DomainId domain, int number) {
        this.domain = domain;
        this.number = number;
    }

    boolean isLinkedTo(Port other) {
        return state == State.INTERDOMAIN && remote.equals(other.domain) && remotePort == other.number;
    }
}
