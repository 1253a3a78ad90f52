package io.vchan.connector.impl;

import jdk.jfr.Event;
import jdk.jfr.Label;

/** What every vchan flight-recorder event says of its channel. */
abstract class ChannelEvent extends Event {

    @Label("Path")
    String path;

    @Label("Role")
    String role;

    @Label("Local Domain")
    int localDomain;

    @Label("Peer Domain")
    int peerDomain;

    /** Fills in the channel's fields. */
    final void of(Target target) {
        path = target.path();
        role = target.role().toString();
        localDomain = target.self().value();
        peerDomain = target.peer().value();
    }
}
