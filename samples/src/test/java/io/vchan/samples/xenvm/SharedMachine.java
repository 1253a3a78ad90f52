package io.vchan.samples.xenvm;

import java.io.IOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves a {@link XenVm} parameter to the one real-Xen machine of the test
 * run: the first suite class boots it, the others reuse it (a boot and a
 * power-off cost about half a minute under TCG), and JUnit powers it off when
 * the run ends. A machine that died is replaced by a fresh one.
 */
final class SharedMachine implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedMachine.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == XenVm.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Holder holder = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Holder.class, k -> new Holder(), Holder.class);
        try {
            return holder.live();
        } catch (IOException e) {
            throw new ParameterResolutionException("the real-Xen machine did not boot: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParameterResolutionException("interrupted while booting the real-Xen machine", e);
        }
    }

    /** The run's machine; the root store closes it after the last class. */
    private static final class Holder implements ExtensionContext.Store.CloseableResource {

        private XenVm vm;

        synchronized XenVm live() throws IOException, InterruptedException {
            if (vm != null && !vm.isAlive()) {
                XenVm dead = vm;
                vm = null;
                dead.close();
            }
            if (vm == null) {
                vm = XenVm.boot("suite");
                System.out.printf("[xenvm] booted Xen + dom0 in %d ms%n", vm.bootMillis());
            }
            return vm;
        }

        @Override
        public synchronized void close() throws IOException, InterruptedException {
            if (vm != null) {
                vm.close();
                vm = null;
            }
        }
    }
}
