package io.vchan.connector.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A channel's set-up in the flight recorder: from its owner's start until both ends are there, or it failed. */
@Name("io.vchan.Connect")
@Label("vchan Connect")
@Category("vchan")
@Description("Publishing or connecting a channel, until both ends are there (or the set-up failed)")
@StackTrace(false)
final class ConnectEvent extends ChannelEvent {

    @Label("Failure")
    @Description("Why the set-up failed; empty if it succeeded")
    String failure;
}
