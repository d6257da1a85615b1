using System.Net;

namespace Arker.Testing.Samples.NUnit;

/// <summary>
/// A CLI in the VM that calls a web API, tested against a fake of that API which the test itself
/// hosts: <see cref="Computer.ForwardHostPortAsync"/> lets the VM reach that one port of this machine.
/// </summary>
[ArkerVm(typeof(WebAppsMachine))]
[Parallelizable(ParallelScope.All)]
public sealed class FakeApiTests : ArkerTest
{
    [Test]
    public async Task TheCli_PrintsWhatTheApiAnswers()
    {
        using FakeWeatherApi api = FakeWeatherApi.Start(HttpStatusCode.OK, """{"summary": "sunny", "celsius": 21}""");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py Paris", CancellationToken);

        run.ShouldSucceed().StdoutShouldBe("Paris: sunny, 21 °C");
        Assert.That(api.Requests, Is.EqualTo((string[])["/today?city=Paris"]));
    }

    [Test]
    public async Task TheCli_SaysWhenTheApiFails()
    {
        using FakeWeatherApi api = FakeWeatherApi.Start(HttpStatusCode.ServiceUnavailable, "{}");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py", CancellationToken);

        run.ShouldExitWith(1).StderrShouldContain("the service answered 503");
    }
}
