#!/usr/bin/env python3
"""Turn one bench.sh run folder into docs/benchmarks.md and a throughput plot (gnuplot).

Usage: bench-report.py RUN_DIR MARKDOWN_OUT SVG_OUT. Uses only the standard library.
"""

import json
import os
import re
import subprocess
import sys


def read_machine(run_dir):
    facts = {}
    with open(os.path.join(run_dir, "machine.txt"), encoding="utf-8") as source:
        for line in source:
            key, _, value = line.strip().partition(" ")
            facts[key] = value
    return facts


def read_openssl_verify_rate(run_dir, round_number):
    """Returns verify/s of the 256-bit nistp256 row of one round of `openssl speed ecdsap256`."""
    name = f"openssl-speed-{round_number}.txt"
    with open(os.path.join(run_dir, name), encoding="utf-8") as source:
        for line in source:
            if "ecdsa" in line and "nistp256" in line:
                numbers = re.findall(r"[\d.]+", line.split(")")[-1])
                return float(numbers[-1])
    raise SystemExit(f"bench-report: no nistp256 row in {name}")


def read_benchmarks(run_dir):
    with open(os.path.join(run_dir, "benchmark.json"), encoding="utf-8") as source:
        data = json.load(source)
    rates = {}
    for entry in data["benchmarks"]:
        if entry.get("run_type", "iteration") != "iteration":
            continue
        rates[entry["name"]] = entry.get("items_per_second", 0.0)
    return rates


def read_cli(run_dir, name):
    with open(os.path.join(run_dir, f"cli-{name}.json"), encoding="utf-8") as source:
        return json.load(source)


def read_formats(run_dir):
    """Returns {format name: (seconds, records/s)} from bench-formats.sh's output."""
    formats = {}
    pattern = re.compile(r"^bench-formats: (\S+)\s+([\d.]+) s\s+(\d+) records/s")
    with open(os.path.join(run_dir, "formats.txt"), encoding="utf-8") as source:
        for line in source:
            match = pattern.match(line)
            if match:
                formats[match.group(1)] = (float(match.group(2)), float(match.group(3)))
    return formats


def find_rate(rates, prefix):
    for name, rate in rates.items():
        if name.startswith(prefix):
            return rate
    return 0.0


def write_plot(svg_path, rows):
    data_path = svg_path + ".dat"
    with open(data_path, "w", encoding="utf-8") as data:
        for label, one, two in rows:
            data.write(f'"{label}" {one:.0f} {two:.0f}\n')
    script = f"""
set terminal svg size 640,360 font "sans,11"
set output "{svg_path}"
set title "End-to-end tokens per second by verifier and thread count"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "tokens/s"
set yrange [0:*]
set grid ytics
set key top left
plot "{data_path}" using 2:xtic(1) title "1 thread", "" using 3 title "2 threads"
"""
    subprocess.run(["gnuplot"], input=script.encode("utf-8"), check=True)
    os.remove(data_path)


def main():
    run_dir, markdown_path, svg_path = sys.argv[1:4]
    machine = read_machine(run_dir)
    rates = read_benchmarks(run_dir)
    round_numbers = (1, 2, 3, 4, 5, 6, 7)
    repeated_names = [f"repeated-2-threads-{attempt}" for attempt in range(1, 6)]
    round_names = [f"fast-{threads}-{round_number}" for round_number in round_numbers
                   for threads in ("1-thread", "2-threads")]
    cli = {name: read_cli(run_dir, name) for name in (
        "evp-1-thread", "evp-2-threads", "repeated-million-2-threads", "million-no-dedup",
        *repeated_names, *round_names)}

    def cli_rate(name):
        # The summary's own rate, from the unrounded time; "seconds" is rounded to 1 ms.
        return cli[name]["tokens_per_second"]

    def cli_wall_rate(name):
        with open(os.path.join(run_dir, f"cli-{name}.wall"), encoding="utf-8") as source:
            return cli[name]["records"] / float(source.read())

    # Each round is openssl speed followed by the fast runs; the round with the median ratio
    # gives the headline figures, and every round is listed.
    rounds = []
    for round_number in round_numbers:
        openssl = read_openssl_verify_rate(run_dir, round_number)
        one = cli_rate(f"fast-1-thread-{round_number}")
        two = cli_rate(f"fast-2-threads-{round_number}")
        rounds.append((one / openssl, round_number, openssl, one, two))
    median_round = sorted(rounds)[len(rounds) // 2]
    _, _, openssl_rate, fast1, fast2 = median_round
    highest_openssl = max(openssl for _, _, openssl, _, _ in rounds)
    median_fast1 = sorted(one for _, _, _, one, _ in rounds)[len(rounds) // 2]
    median_scaling = sorted(two / one for _, _, _, one, two in rounds)[len(rounds) // 2]
    round_rows = [
        f"| {number} | {openssl:,.0f} | {one:,.0f} | {one / openssl:.2f} | {two:,.0f} | {two / one:.2f} |"
        for _, number, openssl, one, two in sorted(rounds, key=lambda item: item[1])]
    evp1, evp2 = cli_rate("evp-1-thread"), cli_rate("evp-2-threads")
    repeated_rates = sorted(cli_rate(name) for name in repeated_names)
    repeated = repeated_rates[len(repeated_rates) // 2]
    repeated_wall = sorted(cli_wall_rate(name) for name in repeated_names)[len(repeated_names) // 2]
    repeated_hits = cli[repeated_names[0]]["dedup_hits"]
    repeated_million = cli_rate("repeated-million-2-threads")
    rss_mib = cli["million-no-dedup"]["peak_rss_bytes"] / (1 << 20)
    write_plot(svg_path, [("fast", fast1, fast2), ("evp", evp1, evp2)])

    formats = read_formats(run_dir)
    format_rows = []
    for name, (seconds, rate) in formats.items():
        format_rows.append(f"| {name} | {seconds:.3f} | {rate:,.0f} |")
    gzip_vs_ndjson = formats["ndjson-gzip"][1] / formats["ndjson"][1]
    gzip_vs_lines = formats["ndjson-gzip"][1] / formats["lines"][1]

    micro_rows = []
    for name, rate in rates.items():
        micro_rows.append(f"| `{name}` | {rate:,.0f} |")

    run_rel = os.path.relpath(run_dir, os.path.dirname(markdown_path))
    svg_rel = os.path.relpath(svg_path, os.path.dirname(markdown_path))
    lines = [
        "# Benchmarks",
        "",
        "Made by `scripts/bench.sh`, which builds the `bench` preset, runs `openssl speed -seconds 5",
        "ecdsap256`, the Google Benchmark suites in bench/ and the release binary over generated",
        "files, all in one session, then writes this page with `scripts/bench-report.py`. Compare",
        "the ratios: absolute rates on shared machines move from run to run.",
        "",
        f"- Date: {machine.get('date', '?')}, commit {machine.get('commit', '?')}",
        f"- Machine: {machine.get('cores', '?')} cores, {machine.get('cpu', '?')} (the model name "
        "that lscpu shows in this VM)",
        f"- Compiler: {machine.get('compiler', '?')}; {machine.get('openssl', '?')}",
        f"- Raw results: [{run_rel}]({run_rel})",
        "",
        "## End to end",
        "",
        "The release binary over a file of 100,000 distinct valid tokens (`build/bench/jwtbatch",
        "--jwks jwks.json --quiet --summary-json FILE --threads N --dedup-cache 0 tokens-100k.txt >",
        "/dev/null`, files generated in build/bench/inputs): reading, parsing, verifying, claim",
        "checks and CSV rows, timed by the binary's own summary (`tokens_per_second`).",
        "",
        "`openssl speed -seconds 5 ecdsap256` ran seven times, each right before a 1-thread and a",
        "2-thread run of the fast verifier. Each round's ratio compares figures taken a few seconds",
        "apart:",
        "",
        "| Round | openssl speed verify/s | fast, 1 thread | × openssl speed | fast, 2 threads | × 1 thread |",
        "|---|---|---|---|---|---|",
        *round_rows,
        "",
        f"Median ratio to openssl speed: {median_round[0]:.2f}x (round {median_round[1]}, used in the "
        f"table below). Against the highest openssl speed figure of the seven rounds "
        f"({highest_openssl:,.0f} verify/s), the median 1-thread rate ({median_fast1:,.0f} tokens/s) "
        f"is {median_fast1 / highest_openssl:.2f}x. Median scaling from 1 to 2 threads: "
        f"{median_scaling:.2f}x.",
        "The evp rows ran once, after the rounds.",
        "",
        "| Verifier | Threads | Tokens/s | × openssl speed (1 core) | × 1 thread |",
        "|---|---|---|---|---|",
        f"| fast | 1 | {fast1:,.0f} | {fast1 / openssl_rate:.2f} | 1.00 |",
        f"| fast | 2 | {fast2:,.0f} | {fast2 / openssl_rate:.2f} | {fast2 / fast1:.2f} |",
        f"| evp | 1 | {evp1:,.0f} | {evp1 / openssl_rate:.2f} | 1.00 |",
        f"| evp | 2 | {evp2:,.0f} | {evp2 / openssl_rate:.2f} | {evp2 / evp1:.2f} |",
        "",
        f"![Tokens per second by verifier and thread count]({svg_rel})",
        "",
        f"- Repeated tokens (`--threads 2 tokens-1k-x100.txt`: 1,000 distinct tokens 100 times, "
        f"default `--dedup-cache`), "
        f"median of 5 runs: {repeated:,.0f} records/s by the summary's pipeline time "
        f"({', '.join(f'{rate:,.0f}' for rate in repeated_rates)}), {repeated_hits:,} dedup hits. "
        f"By the whole process's wall time, start-up and key table included: "
        f"{repeated_wall:,.0f} records/s. The same 1,000 tokens 1,000 times: "
        f"{repeated_million:,.0f} records/s.",
        f"- Peak RSS over 1,000,000 records with the verdict cache off (`--threads 2 "
        f"--dedup-cache 0` over tokens-100k.txt ten times, `peak_rss_bytes` of the summary): "
        f"{rss_mib:.1f} MiB.",
        "",
        "## Input formats",
        "",
        "`scripts/bench-formats.sh 200000` (run by bench.sh with the same binary): the same 200,000",
        "records (every 7th signature altered, every 11th record not a token) as bare token lines,",
        "NDJSON, CSV and gzip NDJSON, 2 threads, `--dedup-cache 0`, best of 3 runs. Every format",
        "gave the same verdicts as the lines run (the script fails otherwise).",
        "",
        "| Input | Seconds | Records/s |",
        "|---|---|---|",
        *format_rows,
        "",
        f"gzip NDJSON runs at {gzip_vs_ndjson:.2f} of the throughput of the same NDJSON uncompressed "
        f"and {gzip_vs_lines:.2f} of bare token lines. Decompression runs in the serial reader stage.",
        "",
        "## Google Benchmark",
        "",
        "Items per second of each case in bench/ (`build/bench/bench/jwtbatch_bench`). Pipeline",
        "cases run the whole pipeline in-process with rows dropped; `/1` and `/2` are thread",
        "counts, verify cases take the batch size as argument.",
        "",
        "| Case | Items/s |",
        "|---|---|",
        *micro_rows,
        "",
    ]
    with open(markdown_path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
