//! The bad-input table: every kind of wrong scenario, CSV, flag and replay log, run
//! through the real binary. Each case must exit 2 with a message naming the file, the
//! field or line, the value and the fix, and must write nothing: no output directory,
//! no temporary directory beside it, and anything already there untouched.
//!
//! Each case is its own test, named for what it proves. The table in docs/testing.md
//! shows every case's exact message and is checked against the binary by
//! `docs_table_shows_every_message_exactly`; after changing a message, rewrite it with
//! `CHATSIM_BLESS_DOCS=1 cargo test --release --test integration docs_table`.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// What is in the way in the working directory before the command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    Nothing,
    /// `out` is a file.
    OutIsFile,
    /// `out` is a directory holding earlier results.
    OutExists,
    /// `blocker` is a file, so `blocker/run` cannot be created.
    ParentIsFile,
    /// `tests/fixtures/bad/fifo.csv` is a FIFO (named pipe) with no writer: reading it
    /// would block for ever.
    Fifo,
    /// `tests/fixtures/bad/huge-trace.csv` is a sparse file of 257 MiB, over the 256 MiB
    /// limit of a CSV file.
    HugeTrace,
    /// `tests/fixtures/bad/huge.toml` is a sparse file of 65 MiB, over the 64 MiB limit of
    /// a scenario.
    HugeScenario,
}

/// Where a [`Setup`] puts its file, and its size.
const FIFO: &str = "tests/fixtures/bad/fifo.csv";
const HUGE_TRACE: (&str, u64) = ("tests/fixtures/bad/huge-trace.csv", 257 << 20);
const HUGE_SCENARIO: (&str, u64) = ("tests/fixtures/bad/huge.toml", 65 << 20);

/// One row of the table.
#[derive(Debug)]
struct Case {
    name: &'static str,
    /// The command line after `chatsim`, as typed at the repository root.
    args: &'static [&'static str],
    setup: Setup,
    /// Key parts of the message: the file, the field or line, the value, the fix.
    want: &'static [&'static str],
}

macro_rules! cases {
    ($($name:ident: [$($arg:expr),* $(,)?] $(with $setup:ident)? => [$($want:expr),* $(,)?];)*) => {
        const CASES: &[Case] = &[$(Case {
            name: stringify!($name),
            args: &[$($arg),*],
            setup: cases!(@setup $($setup)?),
            want: &[$($want),*],
        },)*];
        $(
            #[test]
            fn $name() {
                check(case(stringify!($name)));
            }
        )*
    };
    (@setup) => { Setup::Nothing };
    (@setup $setup:ident) => { Setup::$setup };
}

cases! {
    // ----- the scenario TOML ------------------------------------------------------------
    rejects_toml_syntax_error: ["run", "tests/fixtures/bad/syntax-error.toml", "--out", "out"]
        => ["syntax-error.toml", "line 2, column 12", "fix: correct the TOML syntax"];
    rejects_unknown_field: ["run", "tests/fixtures/bad/unknown-field.toml", "--out", "out"]
        => ["unknown-field.toml", "line 2, column 1", "unknown field `horizon`", "`horizon_s`", "fix: remove the field or correct its spelling"];
    rejects_wrong_type: ["run", "tests/fixtures/bad/wrong-type.toml", "--out", "out"]
        => ["wrong-type.toml", "line 2, column 13", "invalid type: string \"1h\"", "fix: give a value of the expected kind"];
    rejects_zero_horizon: ["run", "tests/fixtures/bad/zero-horizon.toml", "--out", "out"]
        => ["zero-horizon.toml", "field `run.horizon_s`", "value 0 is zero", "give a duration in seconds > 0"];
    rejects_negative_warmup: ["run", "tests/fixtures/bad/negative-warmup.toml", "--out", "out"]
        => ["negative-warmup.toml", "field `run.warmup_s`", "value -60 is negative", "≥ 0"];
    rejects_nan_holding_time: ["run", "tests/fixtures/bad/nan-holding-time.toml", "--out", "out"]
        => ["nan-holding-time.toml", "field `sessions.holding_time.mean_s`", "value NaN", "> 0"];
    rejects_infinite_rate: ["run", "tests/fixtures/bad/infinite-rate.toml", "--out", "out"]
        => ["infinite-rate.toml", "field `arrivals.rate_per_hour`", "value inf", "> 0"];
    rejects_horizon_beyond_the_longest_duration: ["run", "tests/fixtures/bad/huge-horizon.toml", "--out", "out"]
        => ["huge-horizon.toml", "field `run.horizon_s`", "value 10000000000000 is too large", "below 1000000000000 s"];
    rejects_zero_replications: ["run", "tests/fixtures/bad/zero-replications.toml", "--out", "out"]
        => ["zero-replications.toml", "field `run.replications`", "value 0", "from 1 to 100000"];
    rejects_negative_seed: ["run", "tests/fixtures/bad/negative-seed.toml", "--out", "out"]
        => ["negative-seed.toml", "field `run.seed`", "value -1 is negative", "from 0 to 18446744073709551615"];
    rejects_zero_max_sessions: ["run", "tests/fixtures/bad/zero-max-sessions.toml", "--out", "out"]
        => ["zero-max-sessions.toml", "field `agents.max_sessions`", "value 0", "from 1 to 64"];
    rejects_max_sessions_of_65: ["run", "tests/fixtures/bad/max-sessions-65.toml", "--out", "out"]
        => ["max-sessions-65.toml", "field `agents.max_sessions`", "value 65", "from 1 to 64"];
    rejects_probability_above_one: ["run", "tests/fixtures/bad/probability-above-one.toml", "--out", "out"]
        => ["probability-above-one.toml", "field `customers.silent_prob`", "value 1.5", "between 0 and 1"];
    rejects_negative_probability: ["run", "tests/fixtures/bad/negative-overlook-prob.toml", "--out", "out"]
        => ["negative-overlook-prob.toml", "field `agents.behaviour.overlook_prob`", "value -0.1", "between 0 and 1"];
    rejects_shares_not_summing_to_one: ["run", "tests/fixtures/bad/shares-not-summing.toml", "--out", "out"]
        => ["shares-not-summing.toml", "field `customers.segments`", "sum to 0.9", "quick=0.5, slow=0.4", "make the shares sum to 1"];
    rejects_arrivals_beyond_max_events: ["run", "tests/fixtures/bad/arrivals-over-max-events.toml", "--out", "out"]
        => ["arrivals-over-max-events.toml", "field `run.max_events`", "limit 100000", "1000000 arrivals", "raise run.max_events"];
    rejects_max_sim_time_shorter_than_the_run: ["run", "tests/fixtures/bad/max-sim-time-shorter-than-run.toml", "--out", "out"]
        => ["max-sim-time-shorter-than-run.toml", "field `run.max_sim_time_s`", "value 1800", "3600", "give at least the run's length"];
    rejects_millisecond_reporting_interval: ["run", "tests/fixtures/bad/millisecond-interval.toml", "--out", "out"]
        => ["millisecond-interval.toml", "field `run.interval_s`", "value 0.001 s", "3600000 reporting intervals", "at least 1 s"];
    rejects_holding_model_without_holding_time: ["run", "tests/fixtures/bad/missing-holding-time.toml", "--out", "out"]
        => ["missing-holding-time.toml", "field `sessions.holding_time`", "missing", "add e.g. holding_time"];
    rejects_thresholds_in_the_holding_model: ["run", "tests/fixtures/bad/thresholds-in-holding-model.toml", "--out", "out"]
        => ["thresholds-in-holding-model.toml", "field `thresholds`", "remove [thresholds]"];
    rejects_duration_without_unit: ["run", "tests/fixtures/bad/duration-without-unit.toml", "--out", "out"]
        => ["duration-without-unit.toml", "field `sessions.holding_time.mean`", "write `mean_s`"];
    rejects_unknown_distribution: ["run", "tests/fixtures/bad/unknown-distribution.toml", "--out", "out"]
        => ["unknown-distribution.toml", "line 11, column 25", "unknown variant `poison`", "`exponential`"];
    rejects_erlang_k_zero: ["run", "tests/fixtures/bad/erlang-k-zero.toml", "--out", "out"]
        => ["erlang-k-zero.toml", "field `sessions.holding_time.k`", "value 0", "k ≥ 1"];
    rejects_uniform_low_above_high: ["run", "tests/fixtures/bad/uniform-low-above-high.toml", "--out", "out"]
        => ["uniform-low-above-high.toml", "field `sessions.holding_time.high_s`", "value 30", "≥ low"];
    rejects_unknown_routing_rule: ["run", "tests/fixtures/bad/unknown-routing-rule.toml", "--out", "out"]
        => ["unknown-routing-rule.toml", "line 17, column 8", "unknown variant `fastest`", "`least_loaded`"];
    rejects_roster_and_count_together: ["run", "tests/fixtures/bad/roster-and-count.toml", "--out", "out"]
        => ["roster-and-count.toml", "field `agents.count`", "not both"];
    rejects_missing_scenario_file: ["run", "tests/fixtures/bad/absent.toml", "--out", "out"]
        => ["tests/fixtures/bad/absent.toml", "cannot read the file", "No such file", "check the path"];
    rejects_directory_as_scenario: ["run", "tests/fixtures", "--out", "out"]
        => ["tests/fixtures: cannot read the file", "it is a directory, not a regular file", "give the path of a regular file"];
    rejects_scenario_that_is_not_utf8: ["run", "tests/fixtures/bad/scenario-not-utf8.toml", "--out", "out"]
        => ["scenario-not-utf8.toml line 3", "not UTF-8", "save it as UTF-8"];
    rejects_scenario_over_the_size_limit: ["validate", "tests/fixtures/bad/huge.toml"] with HugeScenario
        => ["tests/fixtures/bad/huge.toml: cannot read the file", "68157440 bytes", "limit of 67108864 bytes (64 MiB)", "use a smaller file"];
    rejects_seed_string_beyond_u64: ["run", "tests/fixtures/bad/seed-beyond-u64.toml", "--out", "out"]
        => ["seed-beyond-u64.toml", "field `run.seed`", "\"18446744073709551616\"", "from 0 to 18446744073709551615"];

    // ----- [scenario] and [targets] ----------------------------------------------------------
    rejects_a_target_on_an_unknown_metric: ["validate", "tests/fixtures/bad/target-unknown-metric.toml"]
        => ["target-unknown-metric.toml", "field `targets.expect[1]`", "unknown metric \"abandon_rate\"", "did you mean abandon_ratio?"];
    rejects_a_malformed_target: ["run", "tests/fixtures/bad/target-bad-syntax.toml", "--out", "out"]
        => ["target-bad-syntax.toml", "field `targets.expect[0]`", "bad expectation \"service_level>>0.8\"", "write NAME>=VALUE"];
    rejects_a_target_on_a_wall_clock_metric: ["check", "tests/fixtures/bad/target-wall-clock.toml"]
        => ["target-wall-clock.toml", "field `targets.expect[0]`", "events_per_s", "wall clock", "chatsim check --expect"];
    rejects_an_empty_scenario_name: ["run", "tests/fixtures/bad/scenario-empty-name.toml", "--out", "out"]
        => ["scenario-empty-name.toml", "field `scenario.name`", "value \"  \" is empty", "give the desk a name"];
    rejects_a_misspelt_scenario_field: ["validate", "tests/fixtures/bad/scenario-unknown-field.toml"]
        => ["scenario-unknown-field.toml", "unknown field `nmae`", "`name`"];
    check_without_expectations_or_targets: ["check", "tests/fixtures/small.toml"]
        => ["tests/fixtures/small.toml", "nothing to check", "--expect NAME>=VALUE", "[targets]"];

    // ----- distributions: every mean and every draw within the limits --------------------
    rejects_holding_time_mean_over_the_limit: ["run", "tests/fixtures/bad/holding-mean-1e8.toml", "--out", "out"]
        => ["holding-mean-1e8.toml", "field `sessions.holding_time`", "mean of 100000000 s (3.2 years)", "limit of 10000000 s (116 days)", "give a mean of at most 10000000 s"];
    validate_rejects_what_staff_could_not_run: ["validate", "tests/fixtures/bad/holding-mean-1e8.toml"]
        => ["holding-mean-1e8.toml", "field `sessions.holding_time`", "mean of 100000000 s", "give a mean of at most 10000000 s"];
    staff_rejects_an_absurd_holding_time: ["staff", "tests/fixtures/bad/holding-mean-1e300.toml", "--target", "service_level=0.8", "--out", "out"]
        => ["holding-mean-1e300.toml", "field `sessions.holding_time`", "exponential(mean 1e300)", "limit of 10000000 s", "give a mean of at most 10000000 s"];
    staff_per_queue_target_names_an_unknown_queue: ["staff", "tests/fixtures/two-queues.toml", "--target", "service_level[spansh]>=0.8"]
        => ["queue \"spansh\"", "did you mean [spanish]?"];
    staff_per_queue_target_on_a_one_queue_scenario: ["staff", "tests/fixtures/small.toml", "--target", "service_level[spanish]>=0.8"]
        => ["queue \"spanish\"", "the desk has one queue", "without [spanish]"];
    check_names_the_scenario_of_a_bad_distribution: ["check", "tests/fixtures/bad/patience-mean-1e9.toml", "--expect", "service_level>=0.8"]
        => ["patience-mean-1e9.toml", "field `customers.patience`", "mean of 1000000000 s (31.7 years)", "give a mean of at most 10000000 s"];
    rejects_lognormal_whose_draws_round_to_zero: ["run", "tests/fixtures/bad/lognormal-median-zero.toml", "--out", "out"]
        => ["lognormal-median-zero.toml", "field `sessions.holding_time.sd_s`", "lognormal(mean 60, sd 1e200)", "too skewed", "rounds to 0 ms", "give sd_s at most 100 × mean_s (here at most 6000)"];
    rejects_gamma_with_a_vanishing_shape: ["run", "tests/fixtures/bad/gamma-vanishing-shape.toml", "--out", "out"]
        => ["gamma-vanishing-shape.toml", "field `sessions.holding_time.shape`", "gamma(shape 1e-6", "sd ÷ mean = 1000", "shape of at least 0.0001"];
    rejects_weibull_with_a_vanishing_shape: ["run", "tests/fixtures/bad/weibull-vanishing-shape.toml", "--out", "out"]
        => ["weibull-vanishing-shape.toml", "field `sessions.holding_time.shape`", "weibull(shape 0.01", "too skewed", "rounds to 0 ms", "shape of at least 0.13"];
    rejects_uniform_over_an_absurd_range: ["run", "tests/fixtures/bad/uniform-absurd-range.toml", "--out", "out"]
        => ["uniform-absurd-range.toml", "field `sessions.holding_time`", "uniform(0, 1e300)", "mean of 5e299 s", "at most 10000000 s"];
    rejects_normal_with_an_absurd_sd: ["run", "tests/fixtures/bad/normal-absurd-sd.toml", "--out", "out"]
        => ["normal-absurd-sd.toml", "field `sessions.holding_time`", "normal(mean 60, sd 1e200, truncated at 0)", "mean of 7.979e199 s", "at most 10000000 s"];
    rejects_empirical_sample_beyond_the_longest_duration: ["run", "tests/fixtures/bad/empirical-sample-too-large.toml", "--out", "out"]
        => ["empirical-sample-too-large.toml", "field `sessions.holding_time.samples_s[2]`", "value 10000000000000 is too large", "at most 1000000000000 s"];
    rejects_sample_file_beyond_the_longest_duration: ["run", "tests/fixtures/bad/samples-too-large.toml", "--out", "out"]
        => ["samples-too-large.csv line 3", "sample 10000000000000 is too large", "from 0 to 1000000000000"];
    rejects_empirical_samples_with_an_absurd_mean: ["run", "tests/fixtures/bad/empirical-absurd-mean.toml", "--out", "out"]
        => ["empirical-absurd-mean.toml", "field `sessions.holding_time`", "mean of 33333333363 s (1056 years)", "at most 10000000 s"];
    rejects_message_count_over_the_limit: ["run", "tests/fixtures/bad/messages-over-limit.toml", "--out", "out"]
        => ["messages-over-limit.toml", "field `customers.messages`", "mean of 1000000", "limit of 10000 per chat"];
    rejects_holding_time_that_cannot_drain: ["run", "tests/fixtures/bad/holding-cannot-drain.toml", "--out", "out"]
        => ["holding-cannot-drain.toml", "field `sessions.holding_time`", "mean of 100000 s", "32400 s the run leaves", "raise run.max_sim_time_s to at least 1003600"];
    rejects_reply_time_slowed_past_the_limit: ["run", "tests/fixtures/bad/reply-slowed-past-limit.toml", "--out", "out"]
        => ["reply-slowed-past-limit.toml", "field `agents.behaviour.reply_time`", "× 2000000", "mean of 60000000 s", "smaller speed_factor values"];

    // ----- aux periods and the event budget ---------------------------------------------
    rejects_aux_every_millisecond: ["run", "tests/fixtures/bad/aux-gap-millisecond.toml", "--out", "out"]
        => ["aux-gap-millisecond.toml", "field `agents.behaviour.aux.gap`", "constant(0.001)", "floor of 60 s", "at least 60 s"];
    rejects_aux_of_zero_length: ["run", "tests/fixtures/bad/aux-zero-length.toml", "--out", "out"]
        => ["aux-zero-length.toml", "field `agents.behaviour.aux.length`", "constant(0)", "floor of 1 s", "at least 1 s"];
    rejects_event_limit_below_the_aux_periods: ["run", "tests/fixtures/bad/aux-over-max-events.toml", "--out", "out"]
        => ["aux-over-max-events.toml", "field `run.max_events`", "limit 2000", "aux periods expected", "raise run.max_events", "lengthen agents.behaviour.aux.gap"];

    // ----- the roster CSV ---------------------------------------------------------------
    rejects_missing_roster_file: ["run", "tests/fixtures/bad/roster-missing-file.toml", "--out", "out"]
        => ["tests/fixtures/bad/absent.csv", "field `agents.roster`", "roster-missing-file.toml", "No such file", "check the path"];
    rejects_duplicate_agent_ids: ["run", "tests/fixtures/bad/roster-duplicate-ids.toml", "--out", "out"]
        => ["roster-duplicate-ids.csv line 4", "column `id`", "duplicate agent id \"A1\"", "first seen on line 2", "unique id"];
    rejects_shift_after_the_run: ["run", "tests/fixtures/bad/roster-shift-after-run.toml", "--out", "out"]
        => ["roster-shift-after-run.csv line 3", "column `shift_start`", "02:00:00", "01:00:00", "start the shift inside the run"];
    rejects_shift_ending_before_it_starts: ["run", "tests/fixtures/bad/roster-shift-ends-before-start.toml", "--out", "out"]
        => ["roster-shift-ends-before-start.csv line 2", "column `shift_end`", "00:10:00", "00:30:00", "later than its start"];
    rejects_impossible_clock_time: ["run", "tests/fixtures/bad/roster-bad-clock.toml", "--out", "out"]
        => ["roster-bad-clock.csv line 2", "column `shift_start`", "\"99:99\"", "HH:MM"];
    rejects_roster_without_id_column: ["run", "tests/fixtures/bad/roster-no-id-column.toml", "--out", "out"]
        => ["roster-no-id-column.csv line 1", "no column \"id\"", "add it"];
    rejects_unknown_roster_column: ["run", "tests/fixtures/bad/roster-unknown-column.toml", "--out", "out"]
        => ["roster-unknown-column.csv line 1", "unknown column \"skill\"", "use the columns"];
    rejects_roster_row_with_a_missing_cell: ["run", "tests/fixtures/bad/roster-missing-cell.toml", "--out", "out"]
        => ["roster-missing-cell.csv line 2", "6 fields, expected 7", "keep the commas"];
    rejects_roster_max_sessions_of_65: ["run", "tests/fixtures/bad/roster-max-sessions-65.toml", "--out", "out"]
        => ["roster-max-sessions-65.csv line 2", "column `max_sessions`", "value 65", "from 1 to 64"];
    rejects_fractional_max_sessions: ["run", "tests/fixtures/bad/roster-max-sessions-not-integer.toml", "--out", "out"]
        => ["roster-max-sessions-not-integer.csv line 2", "column `max_sessions`", "\"2.5\"", "whole number"];
    rejects_break_outside_the_shift: ["run", "tests/fixtures/bad/roster-break-outside-shift.toml", "--out", "out"]
        => ["roster-break-outside-shift.csv line 2", "column `breaks`", "00:50:00–01:20:00", "move the break inside the shift"];
    rejects_zero_speed_factor: ["run", "tests/fixtures/bad/roster-zero-speed.toml", "--out", "out"]
        => ["roster-zero-speed.csv line 2", "column `speed_factor`", "value 0", "> 0"];
    rejects_roster_that_is_not_utf8: ["run", "tests/fixtures/bad/roster-not-utf8.toml", "--out", "out"]
        => ["roster-not-utf8.csv line 3", "not UTF-8", "save it as UTF-8"];

    // ----- the profile, trace and sample CSVs -------------------------------------------
    rejects_profile_with_a_gap: ["run", "tests/fixtures/bad/profile-gap.toml", "--out", "out"]
        => ["profile-gap.csv line 3", "column `start`", "gap from 00:30:00 to 00:40:00", "use rate 0 for closed hours"];
    rejects_unsorted_profile: ["run", "tests/fixtures/bad/profile-unsorted.toml", "--out", "out"]
        => ["profile-unsorted.csv line 3", "column `start`", "overlaps", "sort the rows"];
    rejects_profile_ending_before_the_run: ["run", "tests/fixtures/bad/profile-short-of-run.toml", "--out", "out"]
        => ["profile-short-of-run.csv line 3", "column `end`", "00:45:00", "01:00:00", "extend the profile"];
    rejects_negative_profile_rate: ["run", "tests/fixtures/bad/profile-negative-rate.toml", "--out", "out"]
        => ["profile-negative-rate.csv line 3", "column `rate_per_hour`", "value -5", "≥ 0"];
    rejects_profile_of_zero_rates: ["run", "tests/fixtures/bad/profile-all-zero.toml", "--out", "out"]
        => ["profile-all-zero.toml", "field `arrivals.file`", "every rate inside the run is 0", "rate > 0"];
    rejects_profile_without_rows: ["run", "tests/fixtures/bad/profile-header-only.toml", "--out", "out"]
        => ["profile-header-only.csv line 1", "no intervals", "add one row per interval"];
    rejects_profile_with_unknown_header: ["run", "tests/fixtures/bad/profile-bad-header.toml", "--out", "out"]
        => ["profile-bad-header.csv line 1", "unknown column \"from\"", "start,end,rate_per_hour"];
    rejects_forecast_date_that_could_be_either_day_or_month_first: ["run", "tests/fixtures/bad/forecast-ambiguous-date.toml", "--out", "out"]
        => ["forecast-ambiguous-date.csv line 2", "column `Date`", "\"07/12/2026\"", "does not guess", "YYYY-MM-DD"];
    rejects_forecast_volume_with_a_thousands_separator: ["run", "tests/fixtures/bad/forecast-thousands.toml", "--out", "out"]
        => ["forecast-thousands.csv line 2", "column `Volume`", "\"1.200,5\"", "thousands separator"];
    rejects_forecast_aht_saved_as_a_fraction_of_a_day: ["run", "tests/fixtures/bad/forecast-aht-fraction.toml", "--out", "out"]
        => ["forecast-aht-fraction.csv line 2", "column `aht`", "0.0035", "at least 1 s", "05:00"];
    rejects_forecast_dates_against_another_start_date: ["run", "tests/fixtures/bad/forecast-start-date.toml", "--out", "out"]
        => ["forecast-start-date.csv line 2", "column `date`", "2026-12-07", "2026-12-08", "leave run.start_date out"];
    rejects_forecast_aht_with_the_turn_model: ["run", "tests/fixtures/bad/forecast-aht-turns.toml", "--out", "out"]
        => ["forecast-aht-turns.csv line 2", "column `aht`", "turn model", "chatsim fit"];
    rejects_empty_trace: ["run", "tests/fixtures/bad/trace-empty.toml", "--out", "out"]
        => ["trace-empty.csv line 1", "no arrival times", "one arrival time per line"];
    rejects_unsorted_trace: ["run", "tests/fixtures/bad/trace-unsorted.toml", "--out", "out"]
        => ["trace-unsorted.csv line 4", "column `time`", "00:04:59", "00:05:00", "sort the arrival times ascending"];
    rejects_trace_outside_the_run: ["run", "tests/fixtures/bad/trace-outside-run.toml", "--out", "out"]
        => ["trace-outside-run.toml", "field `arrivals.file`", "no arrival time falls inside the run", "run.clock_origin"];
    rejects_negative_sample: ["run", "tests/fixtures/bad/samples-negative.toml", "--out", "out"]
        => ["samples-negative.csv line 3", "sample -5", "≥ 0"];
    rejects_sample_that_is_not_a_number: ["run", "tests/fixtures/bad/samples-not-a-number.toml", "--out", "out"]
        => ["samples-not-a-number.csv line 3", "\"about a minute\"", "give a number"];
    rejects_missing_samples_file: ["run", "tests/fixtures/bad/samples-missing-file.toml", "--out", "out"]
        => ["tests/fixtures/bad/absent-samples.csv", "field `sessions.holding_time.file`", "samples-missing-file.toml", "No such file"];

    // ----- inputs that are not regular files, or too large --------------------------------
    rejects_device_as_roster: ["run", "tests/fixtures/bad/roster-dev-zero.toml", "--out", "out"]
        => ["/dev/zero", "field `agents.roster`", "roster-dev-zero.toml", "a character device, not a regular file", "give the path of a regular file"];
    rejects_fifo_as_roster: ["validate", "tests/fixtures/bad/roster-fifo.toml"] with Fifo
        => ["tests/fixtures/bad/fifo.csv", "field `agents.roster`", "roster-fifo.toml", "a FIFO (named pipe), not a regular file", "give the path of a regular file"];
    rejects_fifo_as_profile: ["run", "tests/fixtures/bad/profile-fifo.toml", "--out", "out"] with Fifo
        => ["tests/fixtures/bad/fifo.csv", "field `arrivals.file`", "a FIFO (named pipe)", "give the path of a regular file"];
    rejects_directory_as_roster: ["run", "tests/fixtures/bad/roster-directory.toml", "--out", "out"]
        => ["tests/fixtures/bad/.", "field `agents.roster`", "a directory, not a regular file", "give the path of a regular file"];
    rejects_trace_over_the_size_limit: ["run", "tests/fixtures/bad/trace-huge.toml", "--out", "out"] with HugeTrace
        => ["tests/fixtures/bad/huge-trace.csv", "field `arrivals.file`", "269484032 bytes", "limit of 268435456 bytes (256 MiB)", "use a smaller file"];

    // ----- limits reached while running -------------------------------------------------
    stops_at_the_event_limit: ["run", "tests/fixtures/bad/event-limit.toml", "--out", "out"]
        => ["event-limit.toml", "limit of 300 simulated events", "raise `run.max_events`"];
    stops_at_the_simulated_time_limit: ["run", "tests/fixtures/bad/sim-time-limit.toml", "--out", "out"]
        => ["sim-time-limit.toml", "limit of 7200 s of simulated time", "raise `run.max_sim_time_s`"];
    sweep_names_the_scenario_a_limit_stops: ["sweep", "tests/fixtures/bad/event-limit.toml", "--set", "agents.count=2,3", "--out", "out"]
        => ["error: tests/fixtures/bad/event-limit.toml: ", "limit of 300 simulated events", "raise `run.max_events`"];

    // ----- flags and the output path ----------------------------------------------------
    rejects_seed_that_is_not_a_number: ["run", "tests/fixtures/small.toml", "--seed", "abc", "--out", "out"]
        => ["invalid value 'abc' for '--seed <SEED>'", "not an integer", "from 0 to 18446744073709551615"];
    rejects_negative_seed_flag: ["run", "tests/fixtures/small.toml", "--seed", "-1", "--out", "out"]
        => ["invalid value '-1' for '--seed <SEED>'", "never negative", "from 0 to 18446744073709551615"];
    rejects_seed_beyond_u64: ["run", "tests/fixtures/small.toml", "--seed", "18446744073709551616", "--out", "out"]
        => ["invalid value '18446744073709551616' for '--seed <SEED>'", "too large", "from 0 to 18446744073709551615"];
    sweep_rejects_negative_seed_flag: ["sweep", "tests/fixtures/small.toml", "--set", "agents.count=1,2", "--seed", "-1", "--out", "out"]
        => ["invalid value '-1' for '--seed <SEED>'", "never negative"];
    rejects_negative_threads: ["run", "tests/fixtures/small.toml", "--threads", "-1", "--out", "out"]
        => ["invalid value '-1' for '--threads <THREADS>'", "give 0 (one per core) or a number from 1 to 1024"];
    sweep_rejects_a_range_of_1e300_values: ["sweep", "tests/fixtures/small.toml", "--set", "agents.count=1:1e300:1", "--out", "out"]
        => ["agents.count=1:1e300:1", "has 1e300 values, more than 10000", "use a coarser step"];
    sweep_rejects_a_grid_over_the_limit: ["sweep", "tests/fixtures/small.toml", "--set", "agents.count=1:100:1", "--set", "run.seed=1:200:1", "--out", "out"]
        => ["the grid has 20000 points (100 × 200), more than 10000", "use fewer values"];
    rejects_zero_replications_flag: ["run", "tests/fixtures/small.toml", "--replications", "0", "--out", "out"]
        => ["small.toml", "field `run.replications`", "value 0", "from 1 to 100000"];
    rejects_threads_that_is_not_a_number: ["run", "tests/fixtures/small.toml", "--threads", "many", "--out", "out"]
        => ["invalid value 'many' for '--threads <THREADS>'"];
    rejects_unknown_flag: ["run", "tests/fixtures/small.toml", "--frobnicate"]
        => ["unexpected argument '--frobnicate'"];
    rejects_output_path_that_is_a_file: ["run", "tests/fixtures/small.toml", "--out", "out"] with OutIsFile
        => ["output path out is a file, not a directory", "choose another output path or remove the file"];
    refuses_existing_output_without_force: ["run", "tests/fixtures/small.toml", "--out", "out"] with OutExists
        => ["output directory out already exists", "use --force to replace it"];
    rejects_output_below_a_file: ["run", "tests/fixtures/small.toml", "--out", "blocker/run"] with ParentIsFile
        => ["cannot create output directory blocker/run", "blocker is not a directory"];
    rejects_output_path_without_a_name: ["run", "tests/fixtures/small.toml", "--out", "."]
        => ["output path . has no directory name", "results/run1"];

    // ----- plan, shard, merge (docs/scale-out.md) --------------------------------------
    rejects_zero_shards: ["run", "tests/fixtures/small.toml", "--plan", "plan", "--shards", "0"]
        => ["--shards", "give a number of shards from 1 to 100000"];
    rejects_a_plan_in_a_directory_not_empty: ["run", "tests/fixtures/small.toml", "--plan", "scenarios", "--shards", "2"]
        => ["the plan directory scenarios is not empty", "give a new directory"];
    shard_rejects_a_directory_without_a_plan: ["shard", "scenarios", "--index", "0"]
        => ["no plan at scenarios/plan.json", "--plan scenarios --shards N"];
    merge_rejects_a_directory_without_a_plan: ["merge", "tests", "--out", "out"]
        => ["no plan at tests/plan.json", "make one with"];
    // ----- --set PATH=VALUE (run, validate, check, staff) and compare --------------------
    // Queues, skills and routing presets (docs/scenario.md, "Queues and skills", "[routing]").
    validate_rejects_an_unknown_routing_preset: ["validate", "scenarios/multiskill.toml", "--set", "routing.preset=zendesk"]
        => ["multiskill.toml", "field `routing.preset`", "\"zendesk\"", "did you mean \"zendesk_spare_capacity\""];
    validate_rejects_inactivity_past_the_message_interval: ["validate", "scenarios/multiskill.toml", "--set", "routing.preset=livechat_transfer"]
        => ["multiskill.toml", "field `routing.inactive_after_s`", "600 s (from preset \"livechat_transfer\")", "300 s", "\"off\""];
    validate_rejects_an_overflow_to_an_unknown_queue: ["validate", "scenarios/multiskill.toml", "--set", "queues.2.overflow.0.to=generl"]
        => ["multiskill.toml", "field `queues[2].overflow[0].to`", "\"generl\"", "did you mean \"general\""];
    validate_rejects_a_segment_of_an_unknown_queue: ["validate", "scenarios/multiskill.toml", "--set", "customers.segments.1.queue=spansh"]
        => ["multiskill.toml", "field `customers.segments[1].queue`", "\"spansh\"", "did you mean \"spanish\""];
    validate_rejects_a_group_skill_of_an_unknown_queue: ["validate", "scenarios/multiskill.toml", "--set", "agents.skills.vip=vip:3 biling:2"]
        => ["multiskill.toml", "field `agents.skills.vip`", "\"biling:2\"", "did you mean \"billing\""];
    validate_rejects_a_widening_that_admits_no_one: ["validate", "scenarios/multiskill.toml", "--set", "queues.1.min_level=1"]
        => ["multiskill.toml", "field `queues[1].overflow[0]`", "admits no agent", "lower its level"];
    run_set_suggests_the_closest_field: ["run", "tests/fixtures/small.toml", "--set", "agents.cont=3", "--out", "out"]
        => ["small.toml", "override `agents.cont`", "unknown field `cont`", "did you mean `agents.count`?"];
    run_set_rejects_a_value_of_the_wrong_type: ["run", "tests/fixtures/small.toml", "--set", "agents.count=abc", "--out", "out"]
        => ["small.toml", "override `agents.count`", "value \"abc\" does not fit", "give a value of the field's type"];
    run_set_rejects_an_item_without_a_value: ["run", "tests/fixtures/small.toml", "--set", "agents.count", "--out", "out"]
        => ["bad --set \"agents.count\"", "no `=`", "write PATH=VALUE"];
    run_set_rejects_a_field_given_twice: ["run", "tests/fixtures/small.toml", "--set", "agents.count=2", "--set", "agents.count=3", "--out", "out"]
        => ["--set agents.count is given twice", "give each field one value"];
    validate_set_checks_the_value_by_the_file_rules: ["validate", "tests/fixtures/small.toml", "--set", "agents.max_sessions_all=65"]
        => ["small.toml", "field `agents.max_sessions_all`", "value 65", "from 1 to 64"];
    check_set_checks_the_value_by_the_file_rules: ["check", "tests/fixtures/small.toml", "--set", "run.replications=0", "--expect", "service_level>=0.8"]
        => ["small.toml", "field `run.replications`", "value 0", "from 1 to 100000"];
    staff_set_suggests_the_closest_field: ["staff", "tests/fixtures/small.toml", "--set", "arrivals.rate_per_hr=600", "--target", "service_level=0.8", "--out", "out"]
        => ["small.toml", "override `arrivals.rate_per_hr`", "did you mean `arrivals.rate_per_hour`?"];
    compare_rejects_a_missing_scenario: ["compare", "tests/fixtures/bad/absent.toml", "tests/fixtures/small.toml", "--out", "out"]
        => ["scenario A (tests/fixtures/bad/absent.toml)", "cannot read the file", "No such file", "check the path"];
    compare_set_b_suggests_the_closest_field: ["compare", "tests/fixtures/small.toml", "--set-b", "agents.cont=3", "--out", "out"]
        => ["scenario B (tests/fixtures/small.toml --set agents.cont=3)", "override `agents.cont`", "did you mean `agents.count`?"];
    compare_needs_two_different_sides: ["compare", "tests/fixtures/small.toml", "--out", "out"]
        => ["nothing to compare", "chatsim compare A.toml B.toml", "--set-b agents.max_sessions_all=3"];
    compare_rejects_sides_with_different_seeds: ["compare", "tests/fixtures/small.toml", "--set-b", "run.seed=2", "--out", "out"]
        => ["A runs with run.seed 1 and B with 2", "common random numbers need one seed", "give --seed N"];
    compare_rejects_sides_with_different_replications: ["compare", "tests/fixtures/small.toml", "--set-a", "run.replications=3", "--out", "out"]
        => ["A runs 3 replications and B 1", "give --replications N"];
    compare_rejects_an_unknown_metric: ["compare", "tests/fixtures/small.toml", "--set-b", "agents.count=3", "--metric", "servce_level", "--out", "out"]
        => ["unknown metric \"servce_level\" in --metric", "did you mean service_level?"];
    compare_rejects_a_field_set_twice_on_one_side: ["compare", "tests/fixtures/small.toml", "--set-b", "agents.count=3", "--set-b", "agents.count=4", "--out", "out"]
        => ["--set-b agents.count is given twice", "give each field one value"];

    // ----- the replay log ---------------------------------------------------------------
    replay_rejects_bad_timestamp: ["replay", "tests/fixtures/bad/log-bad-timestamp.csv"]
        => ["log-bad-timestamp.csv:3:", "`9h05`", "09:00:00"];
    replay_rejects_unsorted_rows: ["replay", "tests/fixtures/bad/log-unsorted.csv"]
        => ["log-unsorted.csv:4:", "`09:04:00` is earlier than `09:05:00` on line 3", "sort the rows"];
    replay_rejects_unknown_header: ["replay", "tests/fixtures/bad/log-bad-header.csv"]
        => ["log-bad-header.csv:1:", "unknown column `time`", "timestamp,session,agent,kind"];
    replay_rejects_message_before_request: ["replay", "tests/fixtures/bad/log-before-request.csv"]
        => ["log-before-request.csv:3:", "session `c2`", "no `request` row", "add the session's request row"];
    replay_rejects_row_missing_a_column: ["replay", "tests/fixtures/bad/log-missing-column.csv"]
        => ["log-missing-column.csv:2:", "found 3", "never drop the column"];
    replay_rejects_unknown_kind: ["replay", "tests/fixtures/bad/log-unknown-kind.csv"]
        => ["log-unknown-kind.csv:3:", "unknown kind `transfer`", "use request"];
    replay_rejects_row_after_close: ["replay", "tests/fixtures/bad/log-after-close.csv"]
        => ["log-after-close.csv:4:", "after its `close` on line 3", "own session id"];
    replay_rejects_log_without_rows: ["replay", "tests/fixtures/bad/log-empty.csv"]
        => ["log-empty.csv", "a header but no rows"];
    replay_rejects_missing_log: ["replay", "tests/fixtures/bad/absent-log.csv"]
        => ["tests/fixtures/bad/absent-log.csv", "No such file", "check the path"];
    replay_rejects_fifo_log: ["replay", "tests/fixtures/bad/fifo.csv"] with Fifo
        => ["tests/fixtures/bad/fifo.csv", "a FIFO (named pipe), not a regular file"];
    replay_rejects_device_log: ["replay", "/dev/zero"]
        => ["/dev/zero", "a character device, not a regular file"];
    replay_rejects_zero_reply_interval: ["replay", "scenarios/example-log.csv", "--reply-interval-s", "0"]
        => ["--reply-interval-s 0", "from 0.001 to 1e9", "e.g. --reply-interval-s 60"];
    replay_rejects_nan_message_interval: ["replay", "scenarios/example-log.csv", "--message-interval-s", "nan"]
        => ["--message-interval-s NaN", "from 0.001 to 1e9"];
    replay_rejects_message_before_connect: ["replay", "tests/fixtures/bad/log-before-connect.csv"]
        => ["log-before-connect.csv:3:", "`customer_message` for session `c1` before its `connect` on line 4"];
    replay_rejects_abandon_after_connect: ["replay", "tests/fixtures/bad/log-abandon-after-connect.csv"]
        => ["log-abandon-after-connect.csv:4:", "connected on line 3", "`abandon` is for a customer who left the queue"];
    replay_rejects_iso_time_without_offset: ["replay", "tests/fixtures/bad/log-iso-no-offset.csv"]
        => ["log-iso-no-offset.csv:3:", "`2026-12-07T09:00:30`", "with its offset"];

    // ----- fit and the event log ---------------------------------------------------------
    fit_rejects_log_without_replies: ["fit", "tests/fixtures/bad/log-no-replies.csv"]
        => ["log-no-replies.csv", "no `agent_reply` row"];
    fit_rejects_missing_log: ["fit", "tests/fixtures/bad/absent-log.csv"]
        => ["tests/fixtures/bad/absent-log.csv", "No such file", "check the path"];
    fit_rejects_zero_interval: ["fit", "scenarios/example-log.csv", "--interval-s", "0"]
        => ["--interval-s 0", "from 1 to", "e.g. --interval-s 900"];
    fit_rejects_bad_message_interval: ["fit", "scenarios/example-log.csv", "--message-interval-s", "0"]
        => ["--message-interval-s 0", "from 0.001 to 1e9"];
    run_rejects_event_log_replication_out_of_range: ["run", "tests/fixtures/small.toml", "--event-log", "day.csv", "--event-log-replication", "1"]
        => ["--event-log-replication 1", "1 replication(s), numbered from 0", "from 0 to 0"];
    run_rejects_event_log_that_is_a_directory: ["run", "tests/fixtures/small.toml", "--event-log", "tests/fixtures"]
        => ["--event-log tests/fixtures: a directory", "tests/fixtures/day.csv"];

    // ----- per-queue targets (a desk with several queues) ----------------------------------
    rejects_a_target_on_an_unknown_queue: ["validate", "tests/fixtures/bad/target-unknown-queue.toml"]
        => ["target-unknown-queue.toml", "field `targets.expect[1]`", "unknown queue \"spansh\"", "did you mean [spanish]?"];
    rejects_a_queue_target_on_a_one_queue_desk: ["validate", "tests/fixtures/bad/target-queue-on-one-queue.toml"]
        => ["target-queue-on-one-queue.toml", "field `targets.expect[0]`", "unknown queue \"default\"", "the desk has one queue", "service_level>=0.8 without [default]"];
    rejects_a_queue_target_on_a_figure_not_measured_per_queue: ["validate", "tests/fixtures/bad/target-queue-metric.toml"]
        => ["target-queue-metric.toml", "field `targets.expect[0]`", "unknown metric \"occupancy\"", "of the figures measured per queue"];
    rejects_an_expectation_on_an_unknown_queue: ["check", "tests/fixtures/two-queues.toml", "--expect", "service_level[englsh]>=0.9"]
        => ["unknown queue \"englsh\" in --expect", "did you mean [english]?"];
    rejects_a_queue_target_without_its_closing_bracket: ["check", "tests/fixtures/two-queues.toml", "--expect", "service_level[english>=0.9"]
        => ["bad expectation \"service_level[english>=0.9\"", "in brackets", "NAME[QUEUE]>=VALUE"];
}

fn case(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .expect("a case of the table")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, by path relative to `dir` (directories end in /).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(rel.join(""), Vec::new());
                walk(root, &path, out);
            } else if !meta.is_file() {
                // A FIFO: reading it would block; it is there or not.
                out.insert(rel, b"(not a regular file)".to_vec());
            } else if meta.len() > 1 << 20 {
                // The huge sparse inputs: their size and time stand for their bytes.
                out.insert(
                    rel,
                    format!("{} {:?}", meta.len(), meta.modified().ok()).into_bytes(),
                );
            } else {
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What the binary printed for one case.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs a case in a fresh directory holding a copy of the inputs it names (so that paths
/// in messages read as from the repository root), and checks that nothing in that
/// directory changed.
fn run(case: &Case) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    copy_tree(
        &repo().join("tests/fixtures"),
        &work.path().join("tests/fixtures"),
    );
    fs::create_dir_all(work.path().join("scenarios")).unwrap();
    for bundled in [
        "example-log.csv",
        "multiskill.toml",
        "multiskill-roster.csv",
    ] {
        fs::copy(
            repo().join("scenarios").join(bundled),
            work.path().join("scenarios").join(bundled),
        )
        .unwrap();
    }
    match case.setup {
        Setup::Nothing => {}
        Setup::OutIsFile => fs::write(work.path().join("out"), b"not a directory\n").unwrap(),
        Setup::OutExists => {
            fs::create_dir(work.path().join("out")).unwrap();
            fs::write(
                work.path().join("out/summary.json"),
                b"{\"earlier\": true}\n",
            )
            .unwrap();
        }
        Setup::ParentIsFile => fs::write(work.path().join("blocker"), b"a file\n").unwrap(),
        Setup::Fifo => {
            let made = std::process::Command::new("mkfifo")
                .arg(work.path().join(FIFO))
                .status()
                .expect("mkfifo");
            assert!(made.success(), "mkfifo failed");
        }
        Setup::HugeTrace | Setup::HugeScenario => {
            let (path, len) = if case.setup == Setup::HugeTrace {
                HUGE_TRACE
            } else {
                HUGE_SCENARIO
            };
            // Sparse: no disk space, no time.
            fs::File::create(work.path().join(path))
                .unwrap()
                .set_len(len)
                .unwrap();
        }
    }
    let before = snapshot(work.path());
    // A bad input must never hang the command: a case that does fails here (the
    // process is killed) instead of blocking the suite.
    let output = Command::cargo_bin("chatsim")
        .unwrap()
        .current_dir(work.path())
        .args(case.args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let after = snapshot(work.path());
    let changed: Vec<_> = after
        .keys()
        .chain(before.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "{}: the command wrote or changed {changed:?}",
        case.name
    );
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn check(case: &Case) {
    let out = run(case);
    let name = case.name;
    assert_eq!(
        out.code,
        Some(2),
        "{name}: exit code; stderr:\n{}",
        out.stderr
    );
    assert!(
        out.stdout.is_empty(),
        "{name}: printed results:\n{}",
        out.stdout
    );
    assert!(
        out.stderr.starts_with("error: "),
        "{name}: stderr does not start with `error: `:\n{}",
        out.stderr
    );
    for want in case.want {
        assert!(
            out.stderr.contains(want),
            "{name}: the message lacks {want:?}:\n{}",
            out.stderr
        );
    }
    // clap's `-- -1` tip is right for a file named -1, never for a number given to a flag.
    assert!(
        !out.stderr.contains("'-- -1'"),
        "{name}: the message suggests `-- -1`:\n{}",
        out.stderr
    );
}

// ----- what must be accepted --------------------------------------------------------------

fn chatsim_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("chatsim").unwrap();
    cmd.current_dir(dir)
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Every documented seed runs: `--seed` takes the whole u64 range, past the 2⁶³ − 1 of a
/// TOML integer (it was refused as "value -1 is negative").
#[test]
fn every_u64_seed_is_accepted() {
    for seed in [
        "0",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
    ] {
        let out = chatsim_in(repo())
            .args(["run", "tests/fixtures/small.toml", "--seed", seed])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "--seed {seed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("seed {seed}")),
            "--seed {seed}:\n{stdout}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let out = chatsim_in(repo())
        .args([
            "sweep",
            "tests/fixtures/small.toml",
            "--set",
            "agents.count=2,3",
        ])
        .args(["--seed", "18446744073709551615", "--out"])
        .arg(dir.path().join("sweep"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("sweep/seed.txt")).unwrap(),
        "18446744073709551615\n"
    );
}

/// `--threads` above the maximum is cut to it, and the user is told.
#[test]
fn a_thread_count_over_the_maximum_is_cut_with_a_note() {
    let out = chatsim_in(repo())
        .args([
            "run",
            "tests/fixtures/small.toml",
            "--threads",
            "99999999999999999999999",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("more than the maximum of 1024; using at most 1024 worker threads"),
        "{stderr}"
    );
}

/// What `validate` accepts runs. A turn-by-turn desk with breaks and aux periods whose gaps
/// (11.6 days on average, well inside the limits) outlast every shift: the aux period an
/// agent had scheduled before logging out falls past the time limit. The run stopped on
/// "exceeded its limit of 54000 s of simulated time" for an event that would have done
/// nothing; such events are now dropped.
#[test]
fn a_validated_turn_desk_with_aux_and_breaks_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("desk.toml");
    fs::write(
        &scenario,
        r#"
[run]
horizon_s = 5400
replications = 4
seed = 3

[arrivals]
kind = "poisson"
rate_per_hour = 120

[sessions]
model = "turns"

[customers]
patience = { dist = "exponential", mean_s = 300 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "lognormal", mean_s = 35, sd_s = 30 }

[agents]
max_sessions = 3
roster = [
  { id = "A1", shift_start = "00:00", shift_end = "01:30", breaks = "00:30+10m" },
  { id = "A2", shift_start = "00:00", shift_end = "01:30", breaks = "00:45+10m" },
  { id = "A3", shift_start = "00:15", shift_end = "01:30", breaks = "01:00+5m" },
]

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 30, sd_s = 20 }
aux = { gap = { dist = "exponential", mean_s = 1000000 }, length = { dist = "lognormal", mean_s = 180, sd_s = 120 } }

[thresholds]
reply_interval_s = 60
message_interval_s = 300
"#,
    )
    .unwrap();
    for args in [
        &["validate"][..],
        &["run"],
        &["check", "--expect", "offered>=0"],
    ] {
        let out = chatsim_in(dir.path())
            .args(&args[..1])
            .arg("desk.toml")
            .args(&args[1..])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "chatsim {}: {}",
            args[0],
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The bundled desk, with aux gaps as long as the limits allow, runs too.
    let desk = fs::read_to_string(repo().join("scenarios/default.toml")).unwrap();
    let desk = desk
        .replace("mean_s = 5400 }, length", "mean_s = 10000000 }, length")
        .replace("replications = 8", "replications = 2");
    assert!(desk.contains("mean_s = 10000000 }, length"));
    fs::write(dir.path().join("default.toml"), desk).unwrap();
    for f in ["default-roster.csv", "default-profile.csv"] {
        fs::copy(repo().join("scenarios").join(f), dir.path().join(f)).unwrap();
    }
    let out = chatsim_in(dir.path())
        .args(["run", "default.toml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ----- the table in docs/testing.md ------------------------------------------------------

const BEGIN: &str = "<!-- bad-inputs:begin (generated by tests/integration/bad_inputs.rs) -->";
const END: &str = "<!-- bad-inputs:end -->";

/// A message as a Markdown table cell: line breaks as `<br>`, `|` escaped, runs of spaces
/// kept, so the cell shows the message exactly.
fn cell(text: &str) -> String {
    text.trim_end()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace("  ", " &nbsp;")
        .replace('\n', "<br>")
}

fn table() -> String {
    let mut t = format!(
        "{BEGIN}\n| # | test (`tests/integration/bad_inputs.rs`) | command | exit | message (stderr) |\n|---|---|---|---|---|\n"
    );
    for (i, case) in CASES.iter().enumerate() {
        let out = run(case);
        let setup = match case.setup {
            Setup::Nothing => "",
            Setup::OutIsFile => " (`out` is a file)",
            Setup::OutExists => " (`out` holds earlier results)",
            Setup::ParentIsFile => " (`blocker` is a file)",
            Setup::Fifo => " (`tests/fixtures/bad/fifo.csv` is a FIFO)",
            Setup::HugeTrace => " (`tests/fixtures/bad/huge-trace.csv` is a 257 MiB file)",
            Setup::HugeScenario => " (`tests/fixtures/bad/huge.toml` is a 65 MiB file)",
        };
        t.push_str(&format!(
            "| {} | `{}` | `chatsim {}`{setup} | {} | {} |\n",
            i + 1,
            case.name,
            case.args.join(" ").replace('|', "\\|"),
            out.code.map_or("signal".to_owned(), |c| c.to_string()),
            cell(&out.stderr)
        ));
    }
    t.push_str(END);
    t
}

#[test]
fn docs_table_shows_every_message_exactly() {
    let path = repo().join("docs/testing.md");
    let docs = fs::read_to_string(&path).unwrap_or_default();
    let fresh = table();
    let current = docs
        .find(BEGIN)
        .zip(docs.find(END))
        .map(|(b, e)| &docs[b..e + END.len()]);
    if std::env::var_os("CHATSIM_BLESS_DOCS").is_some() {
        let updated = match current {
            Some(old) => docs.replace(old, &fresh),
            None => format!("{docs}\n{fresh}\n"),
        };
        fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        current == Some(fresh.as_str()),
        "docs/testing.md's bad-input table is out of date; rewrite it with \
         CHATSIM_BLESS_DOCS=1 cargo test --release --test integration docs_table"
    );
}

#[test]
fn the_table_has_at_least_thirty_cases_with_unique_names() {
    let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len());
    assert!(CASES.len() >= 30);
}
