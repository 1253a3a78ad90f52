package io.vchan.connector.impl;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A channel's release in the flight recorder: unpublishing, unmapping, its port unbound. */
@Name("io.vchan.Close")
@Label("vchan Close")
@Category("vchan")
@Description("Releasing a channel: its grants, mappings, port and XenStore keys")
@StackTrace(false)
final class CloseEvent extends ChannelEvent {

    @Label("Bytes In")
    @DataAmount
    long bytesIn;

    @Label("Bytes Out")
    @DataAmount
    long bytesOut;

    @Label("Failure")
    @Description("Why the channel failed; empty for an orderly close")
    String failure;
}
