using System.Net;

namespace Arker.Testing.Samples.Xunit;

/// <summary>
/// A CLI in the VM that calls a web API, tested against a fake of that API which the test itself
/// hosts on this machine's loopback. The VM reaches that one port of this machine either at its own
/// <c>127.0.0.1</c> (<see cref="Computer.ForwardHostPortAsync"/>) or as <c>host.arker.internal</c>
/// through an allow rule that names the port.
/// </summary>
[ArkerVm(typeof(WebAppsMachine))]
public sealed class FakeApiTests : ArkerTest
{
    [Fact]
    public async Task TheCli_PrintsWhatTheApiAnswers()
    {
        await using FakeWeatherApi api = await FakeWeatherApi.StartAsync(HttpStatusCode.OK, """{"summary": "sunny", "celsius": 21}""");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py Paris", CancellationToken);

        run.ShouldSucceed().StdoutShouldBe("Paris: sunny, 21 °C");
        Assert.Equal(["/today?city=Paris"], api.Requests);
    }

    [Fact]
    public async Task TheCli_SaysWhenTheApiFails()
    {
        await using FakeWeatherApi api = await FakeWeatherApi.StartAsync(HttpStatusCode.ServiceUnavailable, "{}");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py", CancellationToken);

        run.ShouldExitWith(1).StderrShouldContain("the service answered 503");
    }

    [Fact]
    public async Task TheCli_ReachesTheApi_AsHostArkerInternal_ThroughAnAllowRule()
    {
        await using FakeWeatherApi api = await FakeWeatherApi.StartAsync(HttpStatusCode.OK, """{"summary": "snow", "celsius": -3}""");
        await Vm.SetNetworkPolicyAsync(new NetworkPolicy([NetworkRule.AllowOutbound("host.arker.internal", api.Port)]), CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API=http://host.arker.internal:{api.Port}/ python3 apps/weather.py Oslo", CancellationToken);

        run.ShouldSucceed().StdoutShouldBe("Oslo: snow, -3 °C");
        Assert.Equal(["/today?city=Oslo"], api.Requests);
    }
}
