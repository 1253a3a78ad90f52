package io.vchan.connector.impl;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A write that found the ring full, in the flight recorder: how long until the peer made room. */
@Name("io.vchan.RingFull")
@Label("vchan Ring Full")
@Category("vchan")
@Description("A write waited for the peer to read: from finding the ring full until bytes went in again")
@StackTrace(false)
final class RingFullEvent extends ChannelEvent {
}
