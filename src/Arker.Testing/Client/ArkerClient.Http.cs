using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Arker.Testing.Client.Wire;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Client;

public sealed partial class ArkerClient
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    /// <summary>
    /// Sends one API request under the contract's retry rule: HTTP 429/502/503/504, an
    /// <c>internal</c> envelope with a throttling hint, or a failed connection is tried again
    /// after <c>RetryDelay × 2^(attempt-1)</c> plus jitter, up to <c>MaxAttempts</c> in all.
    /// </summary>
    /// <remarks>
    /// An <paramref name="idempotencyKey"/> goes out as <c>Idempotency-Key</c>, the same on every
    /// attempt, so the service does the work once. A request that is not <paramref name="replaySafe"/>
    /// is retried only when the service refused it before doing anything (<c>rate_limited</c>).
    /// </remarks>
    internal async Task<TResponse> SendAsync<TResponse>(HttpMethod method, Uri host, string pathAndQuery, ReadOnlyMemory<byte>? body, JsonTypeInfo<TResponse> responseType, TimeSpan timeout, CancellationToken cancellationToken, string? idempotencyKey = null, bool replaySafe = true)
        where TResponse : WireResponse
    {
        var uri = new Uri(host.OriginalString + pathAndQuery);
        return await RetryAsync<TResponse>(replaySafe, async attempt =>
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(method, uri);
                request.Headers.TryAddWithoutValidation("authorization", _authorization);
                if (idempotencyKey is not null)
                {
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
                }
                if (body is { } bytes)
                {
                    request.Content = new ReadOnlyMemoryContent(bytes);
                    request.Content.Headers.ContentType = JsonContentType;
                }

                using var deadline = new CancellationTokenSource(timeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
                int status = (int)response.StatusCode;
                byte[] raw = await response.Content.ReadAsByteArrayAsync(linked.Token);
                LogAttempt(method, pathAndQuery, status, attempt, started);
                (TResponse? payload, ArkerException? error) = Interpret(status, raw, responseType, response.Headers.RetryAfter?.Delta);
                return new Attempt<TResponse>(payload, error);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException ex)
            {
                LogAttempt(method, pathAndQuery, 0, attempt, started);
                throw new ArkerException("timeout", $"{method} {PathOnly(pathAndQuery)} got no answer within {timeout.TotalSeconds:0.#} s (ArkerClientOptions.RequestTimeout)", 0, ex);
            }
            catch (HttpRequestException ex)
            {
                LogAttempt(method, pathAndQuery, 0, attempt, started);
                return new Attempt<TResponse>(null, new ArkerException("internal", $"{method} {PathOnly(pathAndQuery)} failed before any response ({ex.Message}); check that the Arker service at {host.OriginalString} is running and reachable", 0, ex) { ConnectionFailed = true });
            }
        }, cancellationToken);
    }

    internal Task<TResponse> SendJsonAsync<TRequest, TResponse>(HttpMethod method, Uri host, string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken, TimeSpan? timeout = null, string? idempotencyKey = null, bool replaySafe = true)
        where TResponse : WireResponse =>
        SendAsync(method, host, path, JsonSerializer.SerializeToUtf8Bytes(body, requestType), responseType, timeout ?? Options.RequestTimeout, cancellationToken, idempotencyKey, replaySafe);

    /// <summary>
    /// Sends to a presigned URL (no authorization header), retrying HTTP 429/502/503/504 and failed
    /// connections. <paramref name="content"/> makes a fresh body for each attempt.
    /// </summary>
    internal async Task<HttpResponseMessage> SendPresignedAsync(HttpMethod method, string url, Func<HttpContent?> content, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        return await RetryAsync<HttpResponseMessage>(replaySafe: true, async attempt =>
        {
            long started = Stopwatch.GetTimestamp();
            using var deadline = new CancellationTokenSource(Options.TransferTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                using var request = new HttpRequestMessage(method, uri) { Content = content() };
                HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                int status = (int)response.StatusCode;
                LogAttempt(method, uri.AbsolutePath, status, attempt, started);
                if (response.IsSuccessStatusCode)
                {
                    return new Attempt<HttpResponseMessage>(response, null);
                }

                string text = await response.Content.ReadAsStringAsync(linked.Token);
                response.Dispose();
                return new Attempt<HttpResponseMessage>(null, ErrorFromBody(status, Encoding.UTF8.GetBytes(text), $"presigned {method} failed with HTTP {status}"));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException ex)
            {
                throw new ArkerException("timeout", $"presigned {method} did not finish within {Options.TransferTimeout.TotalSeconds:0.#} s (ArkerClientOptions.TransferTimeout)", 0, ex);
            }
            catch (HttpRequestException ex)
            {
                LogAttempt(method, uri.AbsolutePath, 0, attempt, started);
                return new Attempt<HttpResponseMessage>(null, new ArkerException("internal", $"presigned {method} failed before any response: {ex.Message}", 0, ex) { ConnectionFailed = true });
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The contract's retry rule, in one place: tries <paramref name="attempt"/> (numbered from 1)
    /// until it gives a value, or a failure that is not transient, or <c>MaxAttempts</c> are spent,
    /// waiting what the service asked (<c>retry_after_seconds</c>, <c>Retry-After</c>) or else
    /// <see cref="Backoff"/> between tries. The failure that ends it says how many were made.
    /// </summary>
    internal async Task<T> RetryAsync<T>(bool replaySafe, Func<int, Task<Attempt<T>>> attempt, CancellationToken cancellationToken)
        where T : class
    {
        for (int number = 1; ; number++)
        {
            Attempt<T> outcome = await attempt(number);
            if (outcome.Failure is not { } failure)
            {
                return outcome.Value!;
            }

            bool retry = failure.IsTransient && (replaySafe || failure.Code == "rate_limited");
            if (!retry || number >= Options.MaxAttempts)
            {
                failure.Attempts = number;
                throw failure;
            }

            TimeSpan wait = failure.RetryAfter is { } asked && asked > TimeSpan.Zero ? Min(asked, MaxRetryAfter) : Backoff(number);
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    /// <summary>The longest wait a service's retry hint is honoured for; a longer one ends the retries sooner.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>One try's result: a value, or the failure that decides whether to try again.</summary>
    internal readonly record struct Attempt<T>(T? Value, ArkerException? Failure)
        where T : class;

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1.</summary>
    internal TimeSpan Backoff(int attempt) =>
        (Options.RetryDelay * Math.Pow(2, attempt - 1)) + (Options.MaxRetryJitter * Random.Shared.NextDouble());

    private static (TResponse? Payload, ArkerException? Error) Interpret<TResponse>(int status, byte[] raw, JsonTypeInfo<TResponse> type, TimeSpan? retryAfter)
        where TResponse : WireResponse
    {
        TResponse? payload = null;
        try
        {
            payload = raw.Length == 0 ? null : JsonSerializer.Deserialize(raw, type);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page, say): judged by its status below.
        }

        if (payload is { Ok: false, Error: { } envelope } || (status >= 400 && payload?.Error is { } _))
        {
            return (null, FromEnvelope(payload!.Error!, status, "", retryAfter));
        }

        if (status >= 400)
        {
            return (null, ErrorFromBody(status, raw, $"HTTP {status}"));
        }

        return payload is null
            ? (null, new ArkerException("internal", $"response is not the expected JSON: {Preview(raw)}", status))
            : (payload, null);
    }

    /// <summary>An error from a body that may or may not hold the envelope.</summary>
    private static ArkerException ErrorFromBody(int status, byte[] raw, string fallback)
    {
        try
        {
            if (raw.Length > 0 && JsonSerializer.Deserialize(raw, ArkerJsonContext.Default.WireResponse) is { Error: { } error })
            {
                return FromEnvelope(error, status, fallback, retryAfter: null);
            }
        }
        catch (JsonException)
        {
        }

        return new ArkerException("internal", raw.Length == 0 ? fallback : Preview(raw), status);
    }

    /// <summary>Either generation's error envelope as an exception, with every field a report needs.</summary>
    internal static ArkerException FromEnvelope(WireError error, int status, string fallback, TimeSpan? retryAfter) =>
        new(error.Code ?? "internal", error.Message ?? fallback, status)
        {
            RequestId = error.RequestId,
            RetryAfter = error.RetryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : retryAfter,
            RecoveryWork = error.Recovery?.Work,
        };

    private static string Preview(byte[] raw) => Encoding.UTF8.GetString(raw, 0, Math.Min(raw.Length, 200));

    private static string PathOnly(string pathAndQuery) => pathAndQuery.Split('?')[0];

    private void LogAttempt(HttpMethod method, string pathAndQuery, int status, int attempt, long started)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("{Method} {Route} → {Status} (attempt {Attempt}) in {Duration:0.0} ms",
                method, PathOnly(pathAndQuery), status == 0 ? "no response" : status, attempt, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
