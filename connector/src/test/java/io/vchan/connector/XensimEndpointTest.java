package io.vchan.connector;

/** The endpoint contract over xensim, both domains in this JVM. */
class XensimEndpointTest extends VchanEndpointContract {
    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }
}
