package io.vchan.connector.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A peer that broke the vchan protocol, in the flight recorder. */
@Name("io.vchan.ProtocolError")
@Label("vchan Protocol Error")
@Category("vchan")
@Description("The peer broke the vchan protocol; the channel was closed")
@StackTrace(false)
final class ProtocolErrorEvent extends ChannelEvent {

    @Label("Message")
    String message;
}
