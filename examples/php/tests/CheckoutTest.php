<?php
// The shop's checkout tested inside a sandbox: `paysandbox run -- phpunit tests`.
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../src/Checkout.php';

final class CheckoutTest extends TestCase
{
    private array $account;
    /** The shop's webhook endpoint, served by PHP's own server as the shop's would be. */
    private $webhookServer;
    private string $webhookLog;

    /** A reseller of this test's own, its webhooks pointed at the shop's endpoint. */
    protected function setUp(): void
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $url = "http://127.0.0.1:$port/webhooks/payxtoday";
        $this->account = self::control('POST', '/accounts', ['provider' => 'payxtoday', 'settings' => [
            'webhook' => ['payments' => ['success' => $url, 'error' => $url]],
        ]]);
        $this->webhookLog = tempnam(sys_get_temp_dir(), 'webhooks');
        $this->webhookServer = proc_open(
            ['php', '-S', "127.0.0.1:$port", __DIR__ . '/../public/webhook.php'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes,
            null,
            ['WEBHOOK_LOG' => $this->webhookLog, 'PAYXTODAY_API_URL' => $this->account['api_url']]
        );
        self::eventually(fn () => @fsockopen('127.0.0.1', $port) !== false);
    }

    protected function tearDown(): void
    {
        proc_terminate($this->webhookServer);
        proc_close($this->webhookServer);
        unlink($this->webhookLog);
    }

    private function checkout(): Checkout
    {
        return new Checkout(new PayXToday($this->account['api_url']));
    }

    public function testAPaidPaymentsWebhookReachesTheShop(): void
    {
        $started = $this->checkout()->start('Ada Lovelace', 'ada@example.com', 290, '125');
        $this->assertTrue($started['ok']);

        // The customer pays: here the control plane completes the payment, webhook included.
        self::control('POST', "/payments/payxtoday/{$started['id']}/outcome", ['outcome' => 'success']);
        self::eventually(fn () => $this->webhookFor($started['uuid']) !== null);
        $webhook = $this->webhookFor($started['uuid']);
        $this->assertSame(1, $webhook['webhook']['success']);
        $this->assertSame(290, $webhook['webhook']['price']);
        $this->assertTrue($webhook['paid'], 'the API confirms the payment the webhook names');

        $this->assertSame(200, self::verify([
            'kind' => 'deliveries', 'provider' => 'payxtoday', 'account' => $this->account['account'],
            'answered' => '2xx', 'count' => 1, 'wait_ms' => 5000,
        ])['status']);
    }

    public function testAnOutageIsShownToTheCustomerAsARetryMessage(): void
    {
        $fault = self::control('POST', '/faults', [
            'provider' => 'payxtoday', 'account' => $this->account['account'],
            'route' => 'POST /api/v1/{id_reseller}/{secret_key}/clients/create', 'fault' => 'error', 'status' => 503,
        ]);
        $started = $this->checkout()->start('Ada Lovelace', 'ada@example.com', 290, '126');
        $this->assertFalse($started['ok']);
        $this->assertSame(Checkout::RETRY_MESSAGE, $started['message']);
        // No payment was made for the order while PayXToday was down.
        $this->assertSame(200, self::verify([
            'provider' => 'payxtoday', 'account' => $this->account['account'],
            'route' => 'POST /api/v1/{id_reseller}/{secret_key}/payments/create', 'never' => true,
        ])['status']);

        self::control('DELETE', "/faults/{$fault['id']}");
        usleep(300000); // the customer reads the message, then tries again
        $this->assertTrue($this->checkout()->start('Ada Lovelace', 'ada@example.com', 290, '126')['ok']);
    }

    private function webhookFor(string $uuid): ?array
    {
        foreach (file($this->webhookLog, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
            $webhook = json_decode($line, true);
            if (($webhook['webhook']['uuid_payment'] ?? null) === $uuid) {
                return $webhook;
            }
        }
        return null;
    }

    private static function verify(array $expectation): array
    {
        [$status, $json] = self::call('POST', '/verify', $expectation);
        return ['status' => $status, 'answer' => $json];
    }

    private static function control(string $method, string $path, ?array $body = null): array
    {
        [$status, $json] = self::call($method, $path, $body);
        if ($status >= 300) {
            throw new RuntimeException("$method /_sandbox$path: $status " . json_encode($json));
        }
        return $json;
    }

    private static function call(string $method, string $path, ?array $body): array
    {
        $curl = curl_init(getenv('PAYSANDBOX_URL') . '/_sandbox' . $path);
        curl_setopt_array($curl, [CURLOPT_CUSTOMREQUEST => $method, CURLOPT_RETURNTRANSFER => true]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body));
            curl_setopt($curl, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
        }
        $answer = curl_exec($curl);
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        return [$status, json_decode((string) $answer, true)];
    }

    private static function eventually(callable $condition, float $seconds = 10): void
    {
        $deadline = microtime(true) + $seconds;
        while (!$condition()) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException("not within $seconds s");
            }
            usleep(50000);
        }
    }
}
