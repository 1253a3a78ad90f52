package io.vchan.bridge.contract;

import io.vchan.bridge.jna.JnaPlatform;
import io.vchan.bridge.xen.XenPlatform;
import java.io.IOException;

/** The endpoint contract over xensim, both domains in this JVM (xensim's open-as entry points). */
class XensimEndpointContractTest extends VchanEndpointContract {

    private JnaPlatform platform;

    @Override
    XenPlatform openPlatform() throws IOException {
        platform = JnaPlatform.xensim();
        return platform;
    }

    @Override
    Object resources() throws IOException {
        return platform.xensimStats();
    }
}
