package io.vchan.connector;

/** The flow contract over xensim, both domains in this JVM. */
class XensimFlowTest extends VchanFlowContract {
    @Override
    TestPlatform platform() {
        return TestPlatform.XENSIM;
    }
}
