import { z } from "zod";

/**
 * Parameters of the streaming detector. Rates are per point (a series' own resolution), so one set of
 * parameters behaves the same at 15 s and at 5 min as long as it is expressed in points.
 */
export const detectorParamsSchema = z
  .object({
    warmupPoints: z.number().int().min(2).describe("points seen before any score above 0 is emitted"),
    levelHalfLife: z.number().positive().describe("half-life (points) of the level view's mean and variance"),
    changeHalfLife: z.number().positive().describe("half-life (points) of the change view's statistics"),
    spreadShortHalfLife: z.number().positive().describe("half-life (points) of the short-term spread"),
    spreadLongHalfLife: z.number().positive().describe("half-life (points) of the long-term spread"),
    spreadWeight: z
      .number()
      .min(0)
      .describe("weight of the spread view (0 turns it off; below 1 it must be more unusual to count)"),
    seasonalSlots: z
      .enum(["none", "hour", "hour_weekday"])
      .describe("seasonal baseline: per hour of day, or per hour of day and day of week"),
    seasonalHalfLife: z.number().positive().describe("half-life (visits of one slot) of a slot's baseline"),
    seasonalMinVisits: z.number().int().min(1).describe("visits a slot needs before its baseline counts"),
    usualHalfLife: z
      .number()
      .positive()
      .describe("half-life (points) of a view's record surprise: what the series showed lately is not news"),
    minSurprise: z
      .number()
      .positive()
      .describe("floor (σ) of the usual surprise: noiseless series stay quiet"),
    scoreSpan: z
      .number()
      .positive()
      .describe("excess over the usual surprise (in multiples of it) that scores 1"),
    relativeFloor: z
      .number()
      .nonnegative()
      .describe("floor of a standard deviation relative to the series' typical magnitude"),
    quietPoints: z
      .number()
      .int()
      .min(1)
      .describe(
        "calm points in a row that end an event; inside one event only a growing surprise reports again",
      ),
    holdPoints: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "points after a report during which its event stays open however calm (0: quietPoints alone)",
      ),
    eventGrowth: z.number().min(1).describe("factor by which an event's surprise must grow to report again"),
    threshold: z.number().gt(0).lte(1).describe("the product's fixed alarm threshold on the anomaly score"),
    range: z
      .object({
        valueSpan: z.number().min(1).describe("span (points) of the smoothed value the range view watches"),
        slowSpan: z
          .number()
          .min(1)
          .describe(
            "span (points) of a slower smoothed value with its own range: a sustained shift shows there",
          ),
        spreadSpan: z.number().min(1).describe("span (points) of the smoothed step size (|change|)"),
        margin: z
          .number()
          .min(0)
          .describe("the smoothed value alarms beyond the range seen so far widened by this fraction of it"),
        noiseMargin: z
          .number()
          .min(0)
          .describe(
            "…and by more than this many standard deviations of the level (a noise record is no news)",
          ),
        spreadMargin: z
          .number()
          .min(0)
          .describe("the smoothed step size alarms above its highest so far plus this fraction of its range"),
        halfLife: z
          .number()
          .positive()
          .describe("half-life (points) over which the range seen shrinks towards its middle"),
        spikeSpan: z
          .number()
          .min(1)
          .optional()
          .describe(
            "span (points) of a third, faster smoothed value with its own range: a short spike above all " +
              "before it shows there (absent: off)",
          ),
        spikeMargin: z
          .number()
          .min(0)
          .optional()
          .describe("the fast smoothed value alarms beyond its range widened by this fraction of it"),
        slowSpreadLag: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe("points by which the slow step size's range is learnt late (0: at once)"),
        slowSpreadSpan: z
          .number()
          .min(1)
          .optional()
          .describe(
            "span (points) of a slower smoothed step size with its own range: a lasting rise in the " +
              "noise (a series that starts to oscillate) shows there (absent: off)",
          ),
        matureAfter: z
          .number()
          .int()
          .min(0)
          .describe("points before the range may alarm; until then the v2 event logic alarms alone"),
        seasonalStrength: z
          .number()
          .max(1)
          .describe(
            "share of the level's variance the seasonal baseline must explain before the v2 views may alarm",
          ),
        viewExcess: z
          .number()
          .min(0)
          .max(1)
          .describe("the v2 views' event score (their excess) that alarms on a strongly seasonal series"),
        strengthHalfLife: z
          .number()
          .positive()
          .describe("half-life (points) of the seasonal strength's averages"),
      })
      .strict()
      .optional()
      .describe(
        "v4 design: alarm when the smoothed value or step size leaves the range the series has shown " +
          "(and, on a strongly seasonal series, when the v2 views find it unusual for the hour); after an " +
          "alarm the series is silent for holdPoints",
      ),
    novelty: z
      .object({
        bins: z
          .number()
          .int()
          .min(2)
          .max(64)
          .describe("value bins over the range seen so far; a transition between bins is the context"),
        rangeMargin: z
          .number()
          .min(0)
          .describe("the warm-up range is widened by this fraction before it is cut into bins"),
        recentPoints: z
          .number()
          .int()
          .min(0)
          .describe("a novel context alarms only when a view was unusual within this many points"),
      })
      .strict()
      .optional()
      .describe(
        "v3 design: alarm on a never-seen transition between value bins that coincides with statistical " +
          "surprise (a recurring spike, level or swing is not news); absent: the v1/v2 event logic",
      ),
  })
  .strict();

/** Detector parameters (see detectorParamsSchema). */
export type DetectorParams = z.infer<typeof detectorParamsSchema>;
