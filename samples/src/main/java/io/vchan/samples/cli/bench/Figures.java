package io.vchan.samples.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The measured values of named figures, one per measured round, in the order they were first seen. */
final class Figures {

    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    void add(String key, double value) {
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }

    List<Double> values(String key) {
        return values.getOrDefault(key, List.of());
    }

    Stats stats(String key) {
        return Stats.of(values(key));
    }
}
