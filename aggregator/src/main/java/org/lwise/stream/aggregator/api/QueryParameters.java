package org.lwise.stream.aggregator.api;

import io.javalin.http.Context;
import java.util.List;

/**
 * The API's query parameters, each read with its default and checked: a bad value is a 400 naming
 * the parameter and what it may be.
 */
final class QueryParameters {
  private QueryParameters() {}

  static String text(Context ctx, String name, String fallback) {
    String value = ctx.queryParam(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  static String choice(Context ctx, String name, String fallback, String... allowed) {
    String value = text(ctx, name, fallback);
    if (!List.of(allowed).contains(value)) {
      throw ApiException.badRequest(
          name + "=" + value + " is not allowed; use one of " + String.join(", ", allowed));
    }
    return value;
  }

  static int integer(Context ctx, String name, int fallback, int min, int max) {
    String value = ctx.queryParam(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    throw ApiException.badRequest(
        name + "=" + value + " must be an integer from " + min + " to " + max);
  }

  static long longParam(Context ctx, String name) {
    String value = ctx.queryParam(name);
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException notANumber) {
      throw ApiException.badRequest(name + "=" + value + " must be an integer");
    }
  }

  static int cursor(Context ctx) {
    String value = ctx.queryParam("cursor");
    if (value == null || value.isBlank()) {
      return 0;
    }
    if (!value.matches("\\d{1,9}")) {
      throw ApiException.badRequest(
          "cursor=" + value + " is not a cursor this API returned (next_cursor)");
    }
    return Integer.parseInt(value);
  }

  static List<String> list(Context ctx, String name, String fallback) {
    return List.of(text(ctx, name, fallback).split(",")).stream().map(String::trim).toList();
  }

  static double fraction(String text) {
    try {
      double value = Double.parseDouble(text);
      if (value > 0 && value <= 1) {
        return value;
      }
    } catch (NumberFormatException notANumber) {
      // answered below
    }
    throw ApiException.badRequest(
        "easiest="
            + text
            + " must be a fraction in (0, 1] (e.g. 0.1 for the easiest 10% of each class)");
  }
}
