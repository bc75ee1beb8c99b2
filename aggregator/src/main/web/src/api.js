// A thin client for the L-WISE Stream API: JSON in, the API's `error` message out.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The API answers 503 with Retry-After while its state is still restoring; waiting a little is
// nicer than failing the page right after `lwise run` starts.
const MAX_503_RETRIES = 10;

export async function getJson(url, { onRetry } = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(`cannot reach the API at ${url} (${e.message})`, 0);
    }
    if (response.ok) return response.json();
    const message = await errorMessage(response);
    if (response.status === 503 && attempt < MAX_503_RETRIES) {
      const seconds = Math.min(30, Math.max(1, Number(response.headers.get("Retry-After")) || 2));
      onRetry?.(message, seconds);
      await sleep(seconds * 1000);
      continue;
    }
    throw new ApiError(message, response.status);
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}
