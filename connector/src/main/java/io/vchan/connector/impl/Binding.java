package io.vchan.connector.impl;

import io.vchan.connector.VchanBinding;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.annotation.InternalApi;

/** INTERNAL API: the bind source's materialized value; {@code unbind} asks the stage to stop. */
@InternalApi
record Binding(Target target, Runnable stop, CompletionStage<Done> whenUnbound)
        implements VchanBinding, ChannelOfTarget {

    @Override
    public CompletionStage<Done> unbind() {
        stop.run();
        return whenUnbound;
    }

    @Override
    public String toString() {
        return "VchanBinding(" + target.self() + " serving " + target.peer() + " on port " + target.port() + " at "
                + target.path() + ")";
    }
}
