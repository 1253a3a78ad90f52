package io.vchan.samples.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Median, min and max of the measured rounds of one figure. */
record Stats(int n, double median, double min, double max) {

    static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int m = v.size() / 2;
        double median = v.size() % 2 == 1 ? v.get(m) : (v.get(m - 1) + v.get(m)) / 2;
        return new Stats(v.size(), median, v.get(0), v.get(v.size() - 1));
    }
}
