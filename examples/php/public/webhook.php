<?php
// The shop's webhook endpoint (served with `php -S`). A webhook is only a hint: anyone can send
// one, so the payment it names is read back from PayXToday before the order changes. Each
// webhook is kept, with what the API said, as one JSON line in the file WEBHOOK_LOG names.
require_once __DIR__ . '/../src/PayXToday.php';

$webhook = json_decode(file_get_contents('php://input'), true);
$payxtoday = new PayXToday(getenv('PAYXTODAY_API_URL'));
$payment = $payxtoday->paymentByUuid((string) ($webhook['uuid_payment'] ?? ''));
file_put_contents(getenv('WEBHOOK_LOG'), json_encode([
    'webhook' => $webhook,
    'paid' => $payment['success'] === 1 && $payment['paid_at'] !== null,
]) . "\n", FILE_APPEND | LOCK_EX);
http_response_code(200);
echo 'ok';
