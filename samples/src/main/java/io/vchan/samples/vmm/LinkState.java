package io.vchan.samples.vmm;

/** Where a manager's link to one guest agent stands. */
public enum LinkState {
    /** Never connected yet: waiting for the agent to publish its channel. */
    CONNECTING,
    CONNECTED,
    /** Was connected, lost it; RestartFlow is connecting again with backoff. */
    RECONNECTING;

    @Override
    public String toString() {
        return name().toLowerCase();
    }
}
