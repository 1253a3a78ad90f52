package io.vchan.samples.vmm;

import java.util.List;

/** A command that ran in a guest: its output lines (stdout and stderr together) and exit code. */
public record RunResult(List<String> output, int exitCode) {
}
